//! The Admin service: INFO and SHUTDOWN for operators and tools.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use aegisr_proto::v1::{self, admin_server::Admin};

use crate::server::{Server, info};

pub struct AdminService {
    server: Arc<Server>,
}

impl AdminService {
    pub fn new(server: Arc<Server>) -> AdminService {
        AdminService { server }
    }
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn info(&self, request: Request<v1::InfoRequest>) -> Result<Response<v1::InfoReply>, Status> {
        let wanted = request.into_inner().sections;
        let sections = info::collect(&self.server, &wanted, None);
        let text = info::render(&sections);
        let sections = sections
            .into_iter()
            .map(|s| v1::InfoSection {
                name: s.name.to_owned(),
                fields: s.fields.into_iter().map(|(k, v)| (k.into_owned(), v)).collect(),
            })
            .collect();
        Ok(Response::new(v1::InfoReply { text, sections }))
    }

    async fn shutdown(&self, request: Request<v1::ShutdownRequest>) -> Result<Response<v1::ShutdownReply>, Status> {
        let save = request.into_inner().save();
        tracing::info!(?save, "Shutdown requested through the Admin API...");
        self.server.shutdown.cancel();
        Ok(Response::new(v1::ShutdownReply {}))
    }
}
