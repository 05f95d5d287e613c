#!/usr/bin/env python3
"""A PBX-side client for callscript, written the way a telephony integrator
would drive the service.

    python3 -m pip install -r examples/requirements.txt
    cargo run -- serve                      # in another terminal
    python3 examples/pbx_client.py --target 127.0.0.1:50051

It plays five calls and prints what a tester reads: every request it sends
(">") and every turn it gets back ("<"), with the turn's actions in order
(say: prompt id and text, listen, transfer, hangup, lookup, record).

  (a) A unary call, step by step: StartCall at a chosen moment (by default
      National Day morning, so the holiday opening is heard, N4), the caller
      asks for the agent number (N14) and the bill, one event is retried
      with the same seq; the service asks the PBX to look the bill up (a
      `lookup` action) and the PBX answers with the amount; the caller
      changes their plan on hold and the back office reports the work done
      (`hold_result`); the caller says goodbye and hangs up, then GetCall
      prints the transcript.
  (b) A silent caller over Converse: the PBX sends `start` and nothing more;
      the server pushes the silence prompts 5 s apart and hangs up 5 s after
      the third (N5). This takes 15 s on the real clock; --quick skips it.
  (c) Errors: what a bad request gets back (gRPC status code and message).
  (d) Voicemail after hours on the operator IVR (flows/menu.toml): the
      caller presses 1 to leave a message; the service asks the PBX to
      record (a `record` action: the longest recording, a beep, the key that
      ends it) and the PBX answers with the recording's reference
      (`recording_result`).
  (e) Number entry on the operator IVR: the caller presses 1 for the bill;
      the turn's Listen says what to collect (11 digits, "#" ends them, the
      pause allowed between keys), the PBX gathers them itself (Asterisk
      `Read()`, FreeSWITCH `play_and_get_digits`) and sends them as one
      `dtmf` event; the service reads the number back, the caller confirms
      and the PBX answers the bill's lookup.

Nothing generated is committed: the stubs are generated at run time from
proto/callscript/v1/*.proto into a temporary directory.
"""

import argparse
import importlib.resources
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

try:
    import grpc
    from grpc_tools import protoc
except ImportError:
    sys.exit(
        "pbx_client.py needs grpcio and grpcio-tools:\n"
        "    python3 -m pip install -r examples/requirements.txt"
    )

# The repository's proto files, found from this script's own location so the
# example runs from any working directory.
PROTO_DIR = Path(__file__).resolve().parent.parent / "proto"

# Deadline for each unary RPC. A PBX must never wait forever on a live call:
# a caller hears dead air while it does.
RPC_TIMEOUT_S = 5.0

# What the caller says in (a), per locale, so that --locale changes the
# wording on both sides of the call. Each phrase is chosen to match one of
# the flow's intents in flows/hotline.toml.
CALLER_WORDS = {
    "zh-CN": {
        "agent_number": "请问你的工号是多少?",
        "bill": "我想查一下账单",
        "change_plan": "我想办理套餐",
        "yes": "好的",
        "no_more": "没有了,谢谢",
    },
    "zh-TW": {
        "agent_number": "請問你的工號是多少?",
        "bill": "我想查一下帳單",
        "change_plan": "我想辦理套餐",
        "yes": "好的",
        "no_more": "沒有了,謝謝",
    },
    "en": {
        "agent_number": "What is your agent number?",
        "bill": "I'd like to check my bill",
        "change_plan": "I want to change my plan",
        "yes": "yes",
        "no_more": "No thanks, nothing else",
    },
}


def load_stubs():
    """Generates the Python stubs from the .proto files and imports them.

    Generating at run time keeps the example in step with the proto files
    of the checkout it lives in, with no generated code in the repository.
    """
    # The well-known types (google/protobuf/*.proto) ship inside grpc_tools.
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    protos = sorted(str(p) for p in (PROTO_DIR / "callscript" / "v1").glob("*.proto"))
    with tempfile.TemporaryDirectory(prefix="callscript-stubs-") as out:
        status = protoc.main(
            [
                "grpc_tools.protoc",
                f"-I{PROTO_DIR}",
                f"-I{well_known}",
                f"--python_out={out}",
                f"--grpc_python_out={out}",
                *protos,
            ]
        )
        if status != 0:
            sys.exit(f"protoc failed on {protos} (exit {status})")
        # The stubs import each other as the package `callscript.v1`, so the
        # output directory goes on the import path while they load. Once
        # imported they live in memory and the directory can go.
        sys.path.insert(0, out)
        try:
            from callscript.v1 import calls_pb2, calls_pb2_grpc
        finally:
            sys.path.remove(out)

    return calls_pb2, calls_pb2_grpc


pb, pb_grpc = load_stubs()


# --- Printing ---------------------------------------------------------------
# One line per request, one block per turn. Times and call ids vary from run
# to run; everything else is the same every run, so a test can assert on it.


def end_reason(value):
    return pb.EndReason.Name(value)


def phase(value):
    return pb.CallState.Name(value)


def show_actions(actions, indent="    "):
    """Prints a turn's actions in the order the PBX must carry them out."""
    if not actions:
        print(f"{indent}(no actions)")
    for action in actions:
        kind = action.WhichOneof("kind")
        if kind == "say":
            print(f"{indent}say {action.say.prompt_id}: {action.say.text}")
        elif kind == "listen":
            listen = action.listen
            print(f"{indent}listen {listen.no_input_timeout_ms} ms{collects(listen)}")
        elif kind == "transfer":
            t = action.transfer
            print(f"{indent}transfer to {t.target} ({t.reason})")
        elif kind == "hangup":
            print(f"{indent}hangup {end_reason(action.hangup.reason)}")
        elif kind == "lookup":
            # The params carry caller data (the number): names only here.
            names = ", ".join(sorted(action.lookup.params))
            print(f"{indent}lookup {action.lookup.name} (params: {names})")
        elif kind == "record":
            r = action.record
            beep = ", beep" if r.beep else ""
            print(
                f"{indent}record into {r.into} (at most {r.max_ms} ms{beep}, "
                f"ends on {r.terminators or 'nothing'})"
            )


def collects(listen):
    """What a Listen asks the PBX to gather, when it is digit entry (more
    than one key): the bounds a `Read()` or `play_and_get_digits` needs."""
    if listen.max_digits <= 1:
        return ""
    ends = f", ends on {listen.terminators}" if listen.terminators else ""
    return (
        f" (collect {listen.min_digits}-{listen.max_digits} digits{ends}, "
        f"{listen.inter_digit_timeout_ms} ms between keys)"
    )


def digits_for(turn, number):
    """The keys the PBX gathered for a collecting turn: the number and the
    terminator the Listen names, as one event."""
    for action in turn.actions:
        if action.WhichOneof("kind") == "listen":
            return number + action.listen.terminators[:1]
    return number


def show_turn(turn, when=""):
    ended = "  ENDED" if turn.ended else ""
    step = f"  step={turn.step}" if turn.step else ""
    print(f"< {when}turn {turn.seq}  phase={phase(turn.phase)}{step}{ended}")
    show_actions(turn.actions)


def describe_event(event):
    kind = event.WhichOneof("kind")
    seq = f"seq={event.seq} " if event.seq else ""
    if kind == "start":
        # The transcript's first entry: the call's start.
        return f"(call started: flow {event.start.flow}, at {event.start.at})"
    if kind == "speech":
        return f'{seq}speech "{event.speech.text}"'
    if kind == "dtmf":
        return f"{seq}dtmf {event.dtmf.digits}"
    if kind == "audio":
        return f"{seq}audio {pb.AudioKind.Name(event.audio.kind)}"
    if kind == "transfer_result":
        return f"{seq}transfer_result connected={event.transfer_result.connected}"
    if kind == "lookup_result":
        r = event.lookup_result
        result = "ok" if r.ok else "failed"
        return f"{seq}lookup_result {r.name} {result} ({', '.join(sorted(r.variables))})"
    if kind == "hold_result":
        return f"{seq}hold_result {'ok' if event.hold_result.ok else 'failed'}"
    if kind == "recording_result":
        r = event.recording_result
        return f"{seq}recording_result {'ok' if r.ok else 'failed'} ({r.duration_ms} ms)"
    return f"{seq}{kind}"


# What the PBX's own systems answer a lookup with (a billing system, a
# ticketing system); a real PBX queries them with the lookup's params.
BACK_OFFICE = {
    "bill": {"amount": "58.50"},
    "ticket": {"ticket": "T20261001"},
}


def record_of(turn):
    """The recording a turn asks for, if any."""
    for action in turn.actions:
        if action.WhichOneof("kind") == "record":
            return action.record
    return None


def lookup_of(turn):
    """The lookup a turn asks for, if any."""
    for action in turn.actions:
        if action.WhichOneof("kind") == "lookup":
            return action.lookup
    return None


def send(stub, call_id, seq, what, **kind):
    """Reports one event on a unary call and prints the turn that comes back.

    `seq` increases per call; the PBX keeps it so it can retry an event whose
    answer was lost without the call moving on twice.
    """
    print(f"> SendEvent seq={seq} {what}")
    turn = stub.SendEvent(
        pb.CallEvent(call_id=call_id, seq=seq, **kind), timeout=RPC_TIMEOUT_S
    )
    show_turn(turn)
    return turn


# --- (a) A unary call, step by step -----------------------------------------


def unary_call(stub, call_id, args):
    print(f"== (a) unary call, step by step: call {call_id} ==")
    words = CALLER_WORDS.get(args.locale, CALLER_WORDS["zh-CN"])

    # `at` replaces "now" when the service picks the opening, so a tester can
    # hear the holiday greeting on any day of the year.
    print(f"> StartCall at={args.at} locale={args.locale}")
    first = stub.StartCall(
        pb.StartCallRequest(
            call_id=call_id,
            flow=args.flow,
            caller="13800138000",  # kept in the record, not logged above debug
            callee="10000",
            at=args.at,
            locale=args.locale,
        ),
        timeout=RPC_TIMEOUT_S,
    )
    show_turn(first)

    # The recogniser heard the caller. A PBX passes its confidence along: a
    # low score counts as unclear audio (N7) instead of a wrong answer.
    send(
        stub,
        call_id,
        1,
        f'speech "{words["agent_number"]}"',
        speech=pb.Speech(text=words["agent_number"], confidence=0.92),
    )
    bill = send(
        stub,
        call_id,
        2,
        f'speech "{words["bill"]}"',
        speech=pb.Speech(text=words["bill"], confidence=0.88),
    )

    # The answer to seq 2 was lost on the way back (a timeout, a reconnect),
    # so the PBX sends the very same event again. The service recognises the
    # seq and returns the turn it already produced: the caller does not hear
    # the bill answer twice and the call does not move on.
    retried = send(
        stub,
        call_id,
        2,
        f'speech "{words["bill"]}"  (retry: the first answer was lost)',
        speech=pb.Speech(text=words["bill"], confidence=0.88),
    )
    print(f"  retry returned the same turn: {'yes' if retried == bill else 'NO'}")

    # The bill is the PBX's to fetch: the turn asks for a lookup and listens
    # 2 s (the caller hears nothing that long); the PBX answers at once with
    # what its billing system says, and the caller hears the amount.
    lookup = lookup_of(bill)
    send(
        stub,
        call_id,
        3,
        f"lookup_result {lookup.name} ok",
        lookup_result=pb.LookupResult(
            name=lookup.name, ok=True, variables=BACK_OFFICE[lookup.name]
        ),
    )

    # A plan change needs the back office: the service asks before putting
    # the caller on hold and thanks them (N11). The hold ends when the back
    # office reports the result, never on a timer.
    send(
        stub,
        call_id,
        4,
        f'speech "{words["change_plan"]}"',
        speech=pb.Speech(text=words["change_plan"], confidence=0.9),
    )
    send(
        stub,
        call_id,
        5,
        f'speech "{words["yes"]}"',
        speech=pb.Speech(text=words["yes"], confidence=0.9),
    )
    send(stub, call_id, 6, "hold_result ok", hold_result=pb.HoldResult(ok=True))

    # Nothing else: the service thanks the caller and says goodbye, then
    # waits for the caller to hang up first (N12).
    send(
        stub,
        call_id,
        7,
        f'speech "{words["no_more"]}"',
        speech=pb.Speech(text=words["no_more"], confidence=0.95),
    )
    send(stub, call_id, 8, "hangup", hangup=pb.CallerHangup())

    # The record: how the call ended, why it got its opening, and every
    # event and turn with its time since the start of the call.
    print("> GetCall")
    record = stub.GetCall(pb.GetCallRequest(call_id=call_id), timeout=RPC_TIMEOUT_S)
    print(
        f"< record  state={record.state}  end_reason={end_reason(record.end_reason)}"
    )
    print(f"    flow {record.flow}, locale {record.locale}, local start {record.local_start}")
    print(f"    opening rule: {record.opening_rule}")
    print(f"    transcript ({len(record.transcript)} entries):")
    for entry in record.transcript:
        offset = f"[+{entry.offset_ms:>5} ms]"
        if entry.WhichOneof("entry") == "event":
            print(f"      {offset} event {describe_event(entry.event)}")
        else:
            print(f"      {offset} turn {entry.turn.seq}  phase={phase(entry.turn.phase)}")
            show_actions(entry.turn.actions, indent="          ")


# --- (b) A silent caller over Converse --------------------------------------


def silent_call(stub, call_id, args):
    print(f"== (b) silent caller over Converse: call {call_id} ==")
    # The PBX keeps its side of the stream open for as long as the line is
    # up; the silence clock runs on the server, which pushes each prompt by
    # itself. This event says when the server has ended the call.
    line_down = threading.Event()

    def pbx_events():
        yield pb.CallEvent(
            start=pb.StartCallRequest(
                call_id=call_id, flow=args.flow, at=args.at, locale=args.locale
            )
        )
        # The caller says nothing: no more events until the call is over.
        line_down.wait()

    print(f"> Converse start at={args.at} locale={args.locale}, then silence")
    started = time.monotonic()
    # A deadline well past the 15 s the norm takes, so a stuck call fails.
    turns = stub.Converse(pbx_events(), timeout=30)
    try:
        for turn in turns:
            # Rounded to the second: the norm's 5 s steps are what matter.
            elapsed = round(time.monotonic() - started)
            show_turn(turn, when=f"[+{elapsed} s] ")
    finally:
        line_down.set()
    print(f"  the server closed the stream after {round(time.monotonic() - started)} s")


# --- (c) Errors ---------------------------------------------------------------


def expect_error(what, rpc, request):
    """Calls an RPC that must fail and prints its gRPC status.

    A PBX tells these apart by code: INVALID_ARGUMENT is a bug in the PBX
    (the message names the field), NOT_FOUND and FAILED_PRECONDITION mean
    the call is unknown or already over, so the PBX stops reporting on it.
    """
    print(f"> {what}")
    try:
        rpc(request, timeout=RPC_TIMEOUT_S)
    except grpc.RpcError as e:
        print(f"< {e.code().name}: {e.details()}")
        return
    print("< OK (unexpected: this request should have failed)")
    sys.exit(1)


def errors(stub, ended_call_id, run_id):
    print("== (c) errors: the gRPC status of a bad request ==")
    # An event must say which call it is about.
    expect_error(
        'SendEvent call_id="" seq=1 no_input',
        stub.SendEvent,
        pb.CallEvent(call_id="", seq=1, no_input=pb.NoInput()),
    )
    expect_error(
        "StartCall at=not-a-time",
        stub.StartCall,
        pb.StartCallRequest(call_id=f"pbx-{run_id}-bad-at", at="not-a-time"),
    )
    unknown = f"pbx-{run_id}-never-started"
    expect_error(
        f"GetCall call_id={unknown}", stub.GetCall, pb.GetCallRequest(call_id=unknown)
    )
    # The outbound flow says the customer's name: StartCall must give it.
    expect_error(
        "StartCall flow=outbound without variables",
        stub.StartCall,
        pb.StartCallRequest(call_id=f"pbx-{run_id}-no-name", flow="outbound"),
    )
    # A new event (seq 9) for the call that (a) ended: the call is over.
    expect_error(
        f"SendEvent seq=9 on the ended call {ended_call_id}",
        stub.SendEvent,
        pb.CallEvent(call_id=ended_call_id, seq=9, no_input=pb.NoInput()),
    )


# --- (d) Voicemail after hours -------------------------------------------------


def voicemail_call(stub, call_id, args):
    print(f"== (d) voicemail after hours: call {call_id} ==")
    # A Monday at 22:00: the centre is closed, so the call starts with the
    # hours and the offer of a message.
    at = "2026-11-23T22:00:00+08:00"
    print(f"> StartCall flow=menu at={at} locale={args.locale}")
    first = stub.StartCall(
        pb.StartCallRequest(call_id=call_id, flow="menu", at=at, locale=args.locale),
        timeout=RPC_TIMEOUT_S,
    )
    show_turn(first)
    turn = send(stub, call_id, 1, "dtmf 1", dtmf=pb.Dtmf(digits="1"))

    # The PBX plays the instructions and the beep, records until the caller
    # presses a terminator or max_ms passes, stores the file and answers
    # with its reference; the service keeps it in the step's variable. With
    # no answer by the turn's listen, the recording counts as failed.
    record = record_of(turn)
    send(
        stub,
        call_id,
        2,
        f"recording_result ok (into {record.into})",
        recording_result=pb.RecordingResult(
            ok=True, recording=f"voicemail/{call_id}.wav", duration_ms=12000
        ),
    )
    send(stub, call_id, 3, "hangup", hangup=pb.CallerHangup())


def number_entry_call(stub, call_id, args):
    print(f"== (e) number entry on the operator IVR: call {call_id} ==")
    at = "2026-11-23T15:00:00+08:00"
    print(f"> StartCall flow=menu at={at} locale={args.locale}")
    first = stub.StartCall(
        pb.StartCallRequest(call_id=call_id, flow="menu", at=at, locale=args.locale),
        timeout=RPC_TIMEOUT_S,
    )
    show_turn(first)
    asked = send(stub, call_id, 1, "dtmf 1", dtmf=pb.Dtmf(digits="1"))
    # The PBX collects the whole entry as the Listen says, then reports it
    # once: no event per key, no timer of the service's running meanwhile.
    keys = digits_for(asked, "13800138000")
    send(stub, call_id, 2, f"dtmf {keys}", dtmf=pb.Dtmf(digits=keys))
    turn = send(stub, call_id, 3, "dtmf 1 (confirm)", dtmf=pb.Dtmf(digits="1"))
    lookup = lookup_of(turn)
    send(
        stub,
        call_id,
        4,
        f"lookup_result {lookup.name} ok amount=58.50 vip=false",
        # Every variable the step `gives` must come back, or the lookup
        # counts as failed: the VIP branch reads `vip`.
        lookup_result=pb.LookupResult(
            name=lookup.name, ok=True, variables={"amount": "58.50", "vip": "false"}
        ),
    )
    send(stub, call_id, 5, "hangup", hangup=pb.CallerHangup())


# --- Main ---------------------------------------------------------------------


def open_channel(args):
    """Plaintext by default; TLS with --ca (and mTLS with --cert/--key); the
    token rides on every call (gRPC sends call credentials only over TLS)."""
    if not args.ca:
        if args.token:
            sys.exit("--token needs TLS (--ca): gRPC sends tokens only over TLS")
        return grpc.insecure_channel(args.target)

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(args.ca),
        private_key=read(args.key) if args.key else None,
        certificate_chain=read(args.cert) if args.cert else None,
    )
    if args.token:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(args.token)
        )
    return grpc.secure_channel(args.target, credentials)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--target", required=True, help="the callscript server, HOST:PORT"
    )
    parser.add_argument(
        "--at",
        default="2026-10-01T09:30:00+08:00",
        help="RFC 3339 moment the calls take place (default: National Day morning)",
    )
    parser.add_argument(
        "--locale", default="zh-CN", help="zh-CN (default), zh-TW or en"
    )
    parser.add_argument("--flow", default="", help="flow id (default: the server's)")
    parser.add_argument(
        "--quick", action="store_true", help="skip (b), the 15 s silent call"
    )
    parser.add_argument("--ca", help="TLS: the CA certificate (PEM) the server's is signed by")
    parser.add_argument("--cert", help="mTLS: this client's certificate (PEM)")
    parser.add_argument("--key", help="mTLS: this client's private key (PEM)")
    parser.add_argument(
        "--token", help="sent as `authorization: Bearer TOKEN` (auth_tokens_file)"
    )
    args = parser.parse_args()

    # Chinese prompts must print as UTF-8 whatever the terminal's locale, and
    # line by line, so a tester watching the silent call sees each prompt
    # as it is pushed.
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    # Call ids are the PBX's own and must be unique among the calls the
    # service remembers: one fresh prefix per run.
    run_id = uuid.uuid4().hex[:8]

    with open_channel(args) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=10)
        except grpc.FutureTimeoutError:
            sys.exit(f"no callscript server answers at {args.target}")
        stub = pb_grpc.CallsStub(channel)

        unary_id = f"pbx-{run_id}-unary"
        unary_call(stub, unary_id, args)
        if args.quick:
            print("== (b) silent caller over Converse: skipped (--quick) ==")
        else:
            silent_call(stub, f"pbx-{run_id}-silent", args)
        errors(stub, unary_id, run_id)
        voicemail_call(stub, f"pbx-{run_id}-voicemail", args)
        number_entry_call(stub, f"pbx-{run_id}-number", args)


if __name__ == "__main__":
    main()
