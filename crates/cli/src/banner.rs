//! What `cakeshop dev` tells a person when it is up.

use cakeshop_local::serverless::Trigger;
use cakeshop_local::{Backend, RunningShop};

pub fn print(shop: &RunningShop) {
    let (base, operator) = (&shop.base_url, &shop.console_url);
    let stand_in = |url: &str| {
        if url.starts_with(operator.as_str()) {
            " (stand-in; GET it to see the calls)"
        } else {
            " (real)"
        }
    };
    println!("cakeshop dev is running");
    // An address meaning every interface is reached on loopback; say where it listens then.
    let listening = if shop.api_url == format!("http://{}", shop.address) {
        String::new()
    } else {
        format!("; listening on {}", shop.address)
    };
    println!(
        "  HTTP API        {}   (public: the API and the pages, as API Gateway serves them{listening})",
        shop.api_url
    );
    if *base != shop.api_url {
        println!("  public URL      {base}   (PUBLIC_BASE_URL: the emails' links)");
    }
    println!("  storefront      {base}/   (the shop's page: order a cake there)");
    println!("  baker's board   {base}/baker   (sign in with the baker key: orders and the shop's settings)");
    if !shop.trusted_proxies.is_empty() {
        let proxies: Vec<String> = shop.trusted_proxies.iter().map(ToString::to_string).collect();
        println!(
            "  trusted proxies {}   (their X-Forwarded-For names the client)",
            proxies.join(", ")
        );
    }
    println!(
        "  console         {operator}{}   (operator only, on loopback: functions, stream, queues, dead letters, mail, any order's journey)",
        cakeshop_local::console::CONSOLE_PATH
    );
    println!("  store           {}", shop.store.path().display());
    if shop.limits.is_off() {
        println!("  limits          OFF: any client may order, sign in and send mail without limit (load tests only)");
    } else {
        println!(
            "  limits          {}   (per client, and emails per address; README: Limits)",
            shop.limits
        );
    }
    println!(
        "  baker key       {}   (Authorization: Bearer <key>)",
        shop.baker_api_key
    );
    match &shop.backend {
        Backend::Local => {
            println!("  mailbox         {operator}/_local/mail");
            match &shop.smtp_server {
                Some(server) => println!("  email           also sent through {server}"),
                None => println!("  email           kept in the mailbox only (set SMTP_URL to send it)"),
            }
        }
        Backend::Aws { stage, .. } => println!("  backend         AWS SDK, stage {stage} (emails go to SES)"),
    }
    println!(
        "  delivery API    {}{}",
        shop.delivery_api_url,
        stand_in(&shop.delivery_api_url)
    );
    println!(
        "  customer svc    {}{}",
        shop.customer_service_api_url,
        stand_in(&shop.customer_service_api_url)
    );
    println!("  functions, as serverless.yml wires them:");
    let declared = cakeshop_handlers::functions::names();
    let mut functions: Vec<_> = shop.wiring.functions.iter().collect();
    functions.sort_by_key(|f| declared.iter().position(|known| *known == f.name));
    for function in functions {
        let mut triggers: Vec<String> = function.routes.iter().map(|r| r.route_key()).collect();
        match &function.trigger {
            Some(Trigger::Stream(m)) => triggers.push(format!(
                "Kinesis {} (batch {}, {} filter(s), retries {}, bisect {}, on failure → {})",
                shop.wiring.stream.logical_id,
                m.batch_size,
                m.filters.len(),
                m.maximum_retry_attempts.map_or("unbounded".into(), |n| n.to_string()),
                m.bisect_on_error,
                m.on_failure_queue.as_deref().unwrap_or("nowhere"),
            )),
            Some(Trigger::Queue(m)) => {
                let spec = shop.wiring.queue(&m.queue);
                let redrive = spec.and_then(|s| s.redrive.as_ref());
                triggers.push(format!(
                    "SQS {} (batch {}, visibility {} s, dead letters after {} receives → {})",
                    m.queue,
                    m.batch_size,
                    spec.map_or(30, |s| s.visibility_timeout_seconds),
                    redrive.map_or("∞".into(), |r| r.max_receive_count.to_string()),
                    redrive.map_or("nowhere", |r| r.dead_letter_queue.as_str()),
                ))
            }
            Some(Trigger::Schedule(schedule)) => {
                triggers.push(format!("every {} s, and once at start", schedule.every.as_secs()))
            }
            None => {}
        }
        println!("    {:<18} {}", function.name, triggers.join(", "));
    }
    println!("  ready");
}
