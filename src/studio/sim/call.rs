//! One simulated call on its own thread and virtual clock: the engine's
//! call driven as `callscript simulate` drives it.

use std::{sync::Arc, sync::mpsc, time::Duration};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::{
    sync::{mpsc as tokio_mpsc, oneshot},
    time::Instant,
};

use super::{export, input::Input, view};
use crate::simulate::{settle, timer_armed};
use crate::{
    call::{Event, Vars},
    engine::{CallRecord, Engine, EngineSettings, StartCall},
    flow::FlowRegistry,
    grpc::QualityScoring,
    studio::error::ApiError,
    transcript::TurnView,
};

/// The call id inside the simulation's own engine.
const CALL_ID: &str = "simulated";

/// Where an answer goes back to the route.
pub type Reply<T> = oneshot::Sender<Result<T, ApiError>>;

/// What a route asks of a simulation.
pub enum Command {
    /// The caller does something, or time passes; answers the view with
    /// the turns new since the last answer.
    Act(Input, Reply<Value>),
    /// The view with every turn.
    Show(Reply<Value>),
    /// The call so far as a scenario file.
    Scenario(Reply<String>),
}

/// How a simulated call starts.
pub struct Setup {
    /// The flows the call runs on: the service's own, or one compiled from
    /// an unpublished text or with another start step.
    pub flows: Arc<FlowRegistry>,
    pub flow: String,
    pub at: DateTime<Utc>,
    pub locale: Option<String>,
    pub variables: Vars,
    /// How long the caller takes before each thing they do.
    pub reply_after: Duration,
    /// Why no scenario file can replay this call, if none can (an
    /// unpublished text, another start step).
    pub unreplayable: Option<String>,
    pub scoring: QualityScoring,
}

/// The thread's body: starts the call, then answers commands until the
/// simulation is dropped (its mailbox closes).
pub fn run(
    id: String,
    setup: Setup,
    commands: mpsc::Receiver<Command>,
    started: oneshot::Sender<Result<Value, ApiError>>,
) {
    let runtime = match crate::simulate::simulated_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = started.send(Err(ApiError::internal(format!(
                "cannot start a simulation's clock: {e}"
            ))));
            return;
        }
    };
    let mut call = match runtime.block_on(SimCall::start(id, setup)) {
        Ok(call) => call,
        Err(e) => {
            let _ = started.send(Err(e));
            return;
        }
    };
    // Inside the runtime from here on, so the clock read between requests
    // is the virtual one.
    let _inside = runtime.enter();
    let _ = started.send(Ok(call.view(true)));
    // Blocking here, outside `block_on`, is what stops the clock between
    // requests: nothing runs, so no timer can fire.
    while let Ok(command) = commands.recv() {
        match command {
            Command::Act(input, reply) => {
                let answer = runtime.block_on(call.act(input));
                let _ = reply.send(answer);
            }
            Command::Show(reply) => {
                let _ = reply.send(Ok(call.view(true)));
            }
            Command::Scenario(reply) => {
                let _ = reply.send(call.scenario());
            }
        }
    }
}

/// The simulation's one call.
pub struct SimCall {
    pub id: String,
    engine: Engine,
    /// Every turn, as the engine pushes it: `silence` waits on this.
    turns: tokio_mpsc::UnboundedReceiver<Arc<TurnView>>,
    pub started: Instant,
    /// The seq of the caller's last event.
    seq: u64,
    /// Transcript entries answered so far, counting those the record has
    /// since dropped from its front.
    pub answered: u64,
    pub setup: Setup,
    /// Said when an input changed nothing.
    pub note: Option<String>,
}

impl SimCall {
    async fn start(id: String, setup: Setup) -> Result<SimCall, ApiError> {
        let engine = Engine::new(setup.flows.clone(), EngineSettings::default());
        let (tx, turns) = tokio_mpsc::unbounded_channel();
        let started = Instant::now();
        let start = StartCall {
            call_id: CALL_ID.into(),
            flow: setup.flow.clone(),
            at: Some(setup.at),
            locale: setup.locale.clone(),
            variables: setup.variables.clone(),
            ..StartCall::default()
        };
        engine
            .start(start, Some(Box::new(tx)))
            .await
            .map_err(|e| ApiError::unprocessable(format!("the call did not start: {e}")))?;
        Ok(SimCall {
            id,
            engine,
            turns,
            started,
            seq: 0,
            answered: 0,
            setup,
            note: None,
        })
    }

    pub fn record(&self) -> Option<CallRecord> {
        self.engine.record(None, CALL_ID).now().and_then(Result::ok)
    }

    /// Time since the call started, on the virtual clock.
    pub fn clock(&self) -> Duration {
        Instant::now().saturating_duration_since(self.started)
    }

    /// The view; `all`: every turn, else the ones new since the last view.
    pub fn view(&mut self, all: bool) -> Value {
        while self.turns.try_recv().is_ok() {}
        let view = view::sim(self, all);
        if let Some(record) = self.record() {
            self.answered = record.transcript_dropped + record.transcript.len() as u64;
        }
        view
    }

    async fn act(&mut self, input: Input) -> Result<Value, ApiError> {
        self.note = None;
        let ended = self.record().and_then(|r| r.ended);
        if let Some(reason) = ended {
            return Err(ApiError::conflict(format!(
                "the call has ended ({}); start another",
                reason.as_str()
            )));
        }
        match input {
            Input::Event(event) => self.send(event).await?,
            Input::Silence => self.silence().await,
            Input::Advance(time) => {
                tokio::time::sleep(time).await;
                settle().await;
            }
        }
        Ok(self.view(false))
    }

    /// The caller does something, a moment after the last thing that
    /// happened (timers that run out meanwhile answer first).
    async fn send(&mut self, event: Event) -> Result<(), ApiError> {
        let reply_after = self.setup.reply_after;
        if event != Event::PromptPlayed && !reply_after.is_zero() {
            tokio::time::sleep(reply_after).await;
            settle().await;
            if let Some(reason) = self.record().and_then(|r| r.ended) {
                self.note = Some(format!("the call ended ({}) before that", reason.as_str()));
                return Ok(());
            }
        }
        self.seq += 1;
        match self.engine.send(None, CALL_ID, self.seq, event).await {
            Ok(view) if view.turn.actions.is_empty() && view.turn.ended.is_none() => {
                self.note = Some("nothing to say: the call goes on as it was".into());
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(ApiError::unprocessable(format!(
                "the event was refused: {e}"
            ))),
        }
    }

    /// Say nothing until the service's next timer runs out.
    async fn silence(&mut self) {
        let armed = self.record().is_some_and(|r| timer_armed(&r));
        if !armed {
            self.note = Some("no timer is running: the call waits for the front-end".into());
            return;
        }
        while self.turns.try_recv().is_ok() {}
        match tokio::time::timeout(crate::scenario::SILENCE_LIMIT, self.turns.recv()).await {
            Ok(Some(_)) => settle().await,
            Ok(None) | Err(_) => self.note = Some("no timer fired within an hour".into()),
        }
    }

    fn scenario(&self) -> Result<String, ApiError> {
        if let Some(why) = &self.setup.unreplayable {
            return Err(ApiError::conflict(format!(
                "no scenario file can replay this call: {why}"
            )));
        }
        let record = self
            .record()
            .ok_or_else(|| ApiError::internal("the simulated call's record is gone"))?;
        Ok(export::scenario(&record, &self.setup))
    }
}
