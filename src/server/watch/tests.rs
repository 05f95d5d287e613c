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

/// Changes of contents and names count; reads and attribute events
/// (inotify's access time arrives as `Metadata(Any)`) never do.
#[test]
fn changes_count_and_reads_and_attributes_do_not() {
    use notify::event::{Flag, MetadataKind, RemoveKind, RenameMode};
    let file = "/srv/tokens.toml";
    for kind in [
        EventKind::Modify(ModifyKind::Data(DataChange::Content)),
        EventKind::Modify(ModifyKind::Name(RenameMode::To)),
        EventKind::Modify(ModifyKind::Any),
        EventKind::Create(CreateKind::File),
        EventKind::Remove(RemoveKind::File),
    ] {
        assert!(is_change(&on(kind, file)), "{kind:?}");
    }
    for kind in [
        EventKind::Access(AccessKind::Open(AccessMode::Any)),
        EventKind::Access(AccessKind::Close(AccessMode::Read)),
        EventKind::Access(AccessKind::Read),
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
        EventKind::Modify(ModifyKind::Other),
        EventKind::Any,
        EventKind::Other,
    ] {
        assert!(!is_change(&on(kind, file)), "{kind:?}");
    }
    let rescan = Event::new(EventKind::Other).set_flag(Flag::Rescan);
    assert!(is_change(&rescan), "lost events may have been changes");
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

/// Reading the tokens file (`cat`, a backup, the other replica's own
/// reload) changes nothing and must reload nothing: a reload is a read,
/// so a watcher that took reads for changes would reload forever. The
/// watcher runs on the real clock.
#[test]
fn reading_the_tokens_file_reloads_nothing_and_a_change_reloads_once() {
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
    for _ in 0..100 {
        std::fs::read_to_string(&path).expect("read");
    }
    let cat = std::process::Command::new("cat")
        .arg(&path)
        .output()
        .expect("cat runs");
    assert!(cat.status.success());
    // Three debounce periods: a reload the reads set off would have run.
    std::thread::sleep(DEBOUNCE * 3);
    assert_eq!(auth.reloads(), 0, "reads are not changes");

    std::fs::write(&path, FILE.replace("first-token", "rotated-token")).expect("rewrite");
    let reloaded = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        auth.reloads() > 0
    });
    assert!(reloaded, "a change reloads within 5 s");
    // The reload's own read sets off nothing more.
    std::thread::sleep(DEBOUNCE * 3);
    assert_eq!(auth.reloads(), 1);
}
