use server_timing_runtime::server_timing;

#[derive(Debug)]
struct DbError;

#[server_timing]
async fn load(raw: &str) -> Result<u32, DbError> {
    let id: u32 = raw.parse()?;
    Ok(id)
}

fn main() {
    drop(load("7"));
}
