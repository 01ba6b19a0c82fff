// A call that omits a required parameter (DataType) does not compile.
use acsgen::aiccs::Client;

async fn import(client: &Client) {
    let _ = client.import_task_number_datas("119181071278").send().await;
}

fn main() {}
