use server_timing_runtime::server_timing;

#[server_timing("a_metric_name_that_goes_on_and_on_well_past_the_sixty_four_characters_a_header_keeps")]
fn read() {}

fn main() {
    read();
}
