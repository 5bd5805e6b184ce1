//! The whole shop over real HTTP against real `cakeshop dev` processes: the lifecycle, the pages in
//! headless Chromium, crashes, full disks, backups, the soak.
//!
//! One test binary for the crate (each file a module), so a change links it once.

mod browser;
mod support;

mod backup_under_load;
mod behind_a_reverse_proxy;
mod bench_short_run;
mod clean_stop;
mod concurrent_fulfilment_over_http;
mod console_in_browser;
mod console_refusals;
mod crash_points;
mod crash_recovery;
mod email_over_smtp;
mod functions_command;
mod hostile_bodies_over_http;
mod lifecycle_over_http;
mod limits_over_http;
mod one_process_per_store;
mod out_of_disk;
mod pages_in_browser;
mod pages_over_http;
mod partner_outage;
mod poison_record;
mod readme_walkthrough;
mod routes_in_serverless_yml;
mod secrets_stay_out_of_logs;
mod seed_command;
mod shop_rules_over_http;
mod soak_with_faults;
mod store_from_the_previous_release;
mod trace_across_functions;
mod two_surfaces;
