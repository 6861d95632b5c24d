//! tower layer.
