use notify_debouncer_full::notify::event::{AccessKind, AccessMode, CreateKind, DataChange};

use super::*;

fn on(kind: EventKind, path: &str) -> Event {
    Event::new(kind).add_path(PathBuf::from(path))
}

/// Reading the flows raises open/close events on them; those must not
/// set off another reload, or one change re-reads the directory forever.
#[test]
fn only_changes_to_flow_files_are_worth_a_reload() {
    let dir = Path::new("/srv/flows");
    let flows = |e: &Event| is_change(e) && touches_flows(e, dir);
    assert!(!flows(&on(
        EventKind::Access(AccessKind::Open(AccessMode::Read)),
        "/srv/flows/hotline.toml"
    )));
    assert!(!flows(&on(
        EventKind::Access(AccessKind::Close(AccessMode::Read)),
        "/srv/flows/hotline.toml"
    )));
    assert!(flows(&on(
        EventKind::Modify(ModifyKind::Data(DataChange::Any)),
        "/srv/flows/hotline.toml"
    )));
    assert!(flows(&on(
        EventKind::Create(CreateKind::File),
        "/srv/flows/new.toml"
    )));
    assert!(!flows(&on(
        EventKind::Create(CreateKind::File),
        "/srv/flows/.hotline.toml.swp"
    )));
    assert!(
        flows(&on(
            EventKind::Remove(notify::event::RemoveKind::Folder),
            "/srv/flows"
        )),
        "the directory itself"
    );
    assert!(
        !flows(&on(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            "/srv/tokens.toml"
        )),
        "a file beside the directory"
    );
}

/// A relative tokens file is matched as events name it: under its
/// directory's canonical path.
#[test]
fn the_tokens_file_is_named_as_events_name_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("tokens.toml");
    let canonical = dir
        .path()
        .canonicalize()
        .expect("the temp dir exists")
        .join("tokens.toml");
    assert_eq!(tokens_path(&file), canonical);
    // The file need not exist yet: an editor may have just moved it away.
    assert_eq!(tokens_path(&file).file_name(), file.file_name());
}

/// The watcher reacts on the real clock: the test polls, 50 ms at a time
/// for at most 5 s.
#[test]
fn an_edited_tokens_file_is_reloaded_by_the_one_watcher() {
    const FILE: &str =
        "[[client]]\nname = \"ops\"\ntoken = \"first-token-0123456789\"\nroles = [\"operator\"]\n";
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokens.toml");
    std::fs::write(&path, FILE).expect("write");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 600");
    let auth = Auth::load(&path).expect("loads");
    let _watcher = FileWatcher::start(Reloads {
        flows: None,
        tokens: Some(auth.clone()),
    })
    .expect("watch")
    .expect("a tokens file is watched");
    let call = "/callscript.v1.Calls/GetCall";
    let rotated = b"Bearer rotated-token-0123456789".as_slice();
    assert!(auth.admit(call, Some(rotated)).is_err());
    std::fs::write(&path, FILE.replace("first-token", "rotated-token")).expect("rewrite");
    let mut admitted = false;
    for _ in 0..100 {
        admitted = auth.admit(call, Some(rotated)).is_ok();
        if admitted {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(admitted, "the rotated token works within 5 s");
}

#[test]
fn nothing_on_disk_is_nothing_to_watch() {
    assert!(
        FileWatcher::start(Reloads::default())
            .expect("nothing to fail")
            .is_none()
    );
}
