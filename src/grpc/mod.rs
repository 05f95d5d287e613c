//! The gRPC edge: generated types, their conversion to domain types, and
//! the services. Nothing inward of this module sees a `pb` type.

pub mod auth;
mod calls;
mod convert;
mod flows;
pub mod gate;
mod limits;
mod quality;
mod reference;
mod status;
pub mod wire;

pub use calls::CallsService;
pub use flows::FlowsService;
pub use limits::Limits;
pub use quality::{QualityScoring, QualityService};
pub use reference::ReferenceService;

/// Generated protobuf types and service stubs.
pub mod pb {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("callscript.v1");

    /// For gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("callscript_descriptor");
}

/// The Calls server as served: generated again with [`wire::Turn`] in
/// place of `pb::Turn` (`build.rs`), every other message from [`pb`].
pub mod calls_pb {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/calls_server/callscript.v1.rs"));
}

/// The benchmarks' reference handler (`reference`).
pub mod reference_pb {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("callscript.reference.v1");

    /// For gRPC reflection, registered only when the handler is served.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("reference_descriptor");
}
