//! The region, account and ARNs the local shop gives its stream, queues and functions, in the
//! events it delivers as AWS would.

pub const REGION: &str = "local";
pub const ACCOUNT: &str = "000000000000";

pub fn stream_arn(stream: &str) -> String {
    format!("arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{stream}")
}

pub fn queue_arn(queue: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}")
}

pub fn function_arn(function: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}")
}
