//! The studio in a real browser (issue 28): Debian's Chromium, headless,
//! driven through chromedriver (WebDriver) against the real `callscript`
//! binary serving the studio on an ephemeral port. Each scenario asserts
//! what a designer sees on the page, not what the API answers (the API has
//! its own tests).
//!
//! When chromium or chromedriver is missing the test says so and skips; in
//! CI (`CI` set) it fails instead (`.ci/run` installs both). With
//! `STUDIO_SCREENSHOTS=1` it also writes the README's screenshots to
//! `docs/studio/`.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element, key::Key};
use hyper_util::client::legacy::connect::HttpConnector;

/// Long enough for a cold page on a loaded CI machine; the page answers
/// in milliseconds once loaded.
const WAIT: Duration = Duration::from_secs(20);

/// A Monday afternoon: the hotline is open and the opening is the plain one.
const MONDAY_AFTERNOON: &str = "2026-11-23T15:00:00";

// === the browser ===

/// chromedriver on a free loopback port; killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// `None` (with a loud message) when the browser is not installed and
    /// this is not CI.
    fn start() -> Option<Driver> {
        let missing: Vec<&str> = ["chromium", "chromedriver"]
            .into_iter()
            .filter(|tool| {
                Command::new(tool)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_err()
            })
            .collect();
        if !missing.is_empty() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{missing:?} not installed, and CI needs them (.ci/run installs Debian's chromium and chromium-driver)"
            );
            eprintln!(
                "\n*** SKIPPED: {missing:?} not installed; the studio's browser tests need them \
                 (apt-get install chromium chromium-driver) ***\n"
            );
            return None;
        }
        // Port 0: chromedriver picks one and says which.
        let mut child = Command::new("chromedriver")
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Read to the end, so chromedriver never writes into a closed pipe.
        std::thread::spawn(move || {
            let mut out = BufReader::new(out);
            let mut line = Vec::new();
            while out.read_until(b'.', &mut line).unwrap_or(0) > 0 {
                let text = String::from_utf8_lossy(&line);
                if let Some(port) = text
                    .rsplit_once("started successfully on port ")
                    .and_then(|(_, p)| p.trim_end_matches('.').trim().parse::<u16>().ok())
                {
                    let _ = tx.send(port);
                }
                line.clear();
            }
        });
        let port = rx
            .recv_timeout(WAIT)
            .expect("chromedriver says which port it listens on");
        Some(Driver { child, port })
    }

    /// A headless Chromium session, the size of a designer's screen.
    async fn session(&self) -> Client {
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1600,1000",
                    "--lang=en-GB",
                ],
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!("a JSON object literal is an object")
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a chromium session")
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// === the server ===

/// `callscript serve` with the studio on, serving a copy of the shipped
/// flows (a publish writes the file) and saving scenarios into a directory
/// of its own; killed when dropped.
struct Studio {
    server: Child,
    flows: tempfile::TempDir,
    scenarios: tempfile::TempDir,
    /// The tokens file, when the studio asks for tokens.
    _tokens: Option<tempfile::TempDir>,
    url: String,
}

const DESIGNER: &str = "designer-token-0123456789";
const OPERATOR: &str = "operator-token-0123456789";

impl Studio {
    /// Open: no tokens file.
    fn start() -> Studio {
        Studio::start_with(None)
    }

    /// With a tokens file: a designer (alice) and an operator (ops).
    fn with_tokens() -> Studio {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a tokens directory");
        let path = dir.path().join("tokens.toml");
        std::fs::write(
            &path,
            format!(
                "[[client]]\nname = \"alice\"\ntoken = \"{DESIGNER}\"\nroles = [\"designer\"]\n\n\
                 [[client]]\nname = \"ops\"\ntoken = \"{OPERATOR}\"\nroles = [\"operator\"]\n"
            ),
        )
        .expect("write the tokens file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .expect("the tokens file is the owner's");
        Studio::start_with(Some(dir))
    }

    fn start_with(tokens: Option<tempfile::TempDir>) -> Studio {
        let flows = tempfile::tempdir().expect("a flows directory");
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
        for entry in std::fs::read_dir(&shipped).expect("the shipped flows") {
            let path = entry.expect("a directory entry").path();
            if path.is_file() {
                std::fs::copy(
                    &path,
                    flows.path().join(path.file_name().expect("a file name")),
                )
                .expect("copy a shipped flow");
            }
        }
        let scenarios = tempfile::tempdir().expect("a scenarios directory");
        let mut server = Command::new(env!("CARGO_BIN_EXE_callscript"));
        if let Some(dir) = &tokens {
            server.env(
                "CALLSCRIPT_AUTH_TOKENS_FILE",
                dir.path().join("tokens.toml"),
            );
        }
        let mut server = server
            .args(["serve", "--listen", "127.0.0.1:0", "--flows"])
            .arg(flows.path())
            .env("CALLSCRIPT_WATCH", "false")
            .env("CALLSCRIPT_STUDIO_LISTEN", "127.0.0.1:0")
            .env("CALLSCRIPT_SCENARIOS_DIR", scenarios.path())
            .env(
                "CALLSCRIPT_STUDIO_CHANGES_FILE",
                scenarios.path().join("changes.jsonl"),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the callscript binary starts");
        // The gRPC address first, then the studio's.
        let mut out = BufReader::new(server.stdout.take().expect("piped stdout"));
        let mut studio = None;
        let mut lines = Vec::new();
        for _ in 0..2 {
            let mut line = String::new();
            out.read_line(&mut line)
                .expect("the server prints its addresses");
            studio = studio.or_else(|| {
                line.trim()
                    .strip_prefix("callscript studio on ")
                    .map(str::to_owned)
            });
            lines.push(line);
        }
        let url =
            studio.unwrap_or_else(|| panic!("the server names the studio's address: {lines:?}"));
        // Read to the end, so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Studio {
            server,
            flows,
            scenarios,
            _tokens: tokens,
            url,
        }
    }

    fn hotline(&self) -> PathBuf {
        self.flows.path().join("hotline.toml")
    }
}

// === the page ===

async fn wait_for(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("the page shows {css}: {e}"))
}

async fn click(c: &Client, css: &str) {
    wait_for(c, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn text(c: &Client, css: &str) -> String {
    wait_for(c, css)
        .await
        .text()
        .await
        .expect("an element's text")
}

/// Opens the studio on the hotline and waits until its checks and diagram
/// have come back.
async fn open(c: &Client, studio: &Studio) {
    c.goto(&format!("{}?flow=hotline", studio.url))
        .await
        .expect("the studio loads");
    wait_for(c, "body[data-ready=true]").await;
    wait_for(c, "#check-summary[data-errors='0']").await;
    wait_for(c, "#diagram g.node[data-step=welcome]").await;
}

/// Starts a test call in English on a Monday afternoon.
async fn start_call(c: &Client) {
    // The date picker's own widget differs by browser locale; its value is
    // what the page reads.
    c.execute(
        "document.getElementById('sim-at').value = arguments[0]",
        vec![MONDAY_AFTERNOON.into()],
    )
    .await
    .expect("set the call's time");
    wait_for(c, "#sim-locale option[value=en]").await;
    wait_for(c, "#sim-locale")
        .await
        .select_by_value("en")
        .await
        .expect("choose English");
    click(c, "#sim-start-call").await;
    wait_for(
        c,
        "#sim-turns li.turn[data-at-ms='0'] .prompt[data-prompt=opening]",
    )
    .await;
}

/// `STUDIO_SCREENSHOTS=1`: writes a pane's picture for the README.
async fn screenshot(c: &Client, css: &str, name: &str) {
    if std::env::var_os("STUDIO_SCREENSHOTS").is_none() {
        return;
    }
    let png = wait_for(c, css)
        .await
        .screenshot()
        .await
        .expect("a screenshot");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/studio");
    std::fs::create_dir_all(&dir).expect("docs/studio");
    std::fs::write(dir.join(name), png).expect("write the screenshot");
}

// === scenarios ===

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studio_in_a_browser() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let studio = Studio::start();
    let c = driver.session().await;

    a_typo_in_a_key_shows_its_diagnostic_at_its_line(&c, &studio).await;
    a_silent_call_hears_three_prompts_5_s_apart_then_the_hang_up(&c, &studio).await;
    key_3_and_the_bills_lookup_light_up_the_path_and_the_amount(&c, &studio).await;
    a_saved_call_is_a_scenario_that_simulate_passes(&c, &studio).await;
    a_stale_save_gets_the_conflict_and_its_diff(&c, &studio).await;

    drop(studio);

    let studio = Studio::with_tokens();
    a_token_is_asked_for_and_an_operator_sees_the_calls(&c, &studio).await;
    a_designers_token_opens_the_flow(&c, &studio).await;

    c.close().await.expect("close the browser");
}

/// `next` under `[steps.bill]` mistyped as `xnext`: the checks list the
/// unknown key at its line and column, and clicking it puts the cursor there.
async fn a_typo_in_a_key_shows_its_diagnostic_at_its_line(c: &Client, studio: &Studio) {
    open(c, studio).await;
    let source = std::fs::read_to_string(studio.hotline()).expect("the hotline flow");
    let header = source
        .lines()
        .position(|l| l.trim() == "[steps.bill]")
        .expect("the hotline has a bill step");
    let line = header
        + 1
        + source
            .lines()
            .skip(header)
            .position(|l| l.starts_with("next = "))
            .expect("bill's next");
    // Clicking the step on the diagram shows its text in the editor.
    click(c, "#diagram g.node[data-step=bill]").await;
    wait_for(c, "#diagram g.node.cursor[data-step=bill]").await;
    let next = c
        .find(Locator::XPath(
            "//div[contains(@class,'cm-line')][starts-with(normalize-space(.), 'next = \"bill_answer\"')]",
        ))
        .await
        .expect("bill's `next` line is on screen after the jump");
    next.click().await.expect("click into the line");
    let editor = c.active_element().await.expect("the editor has the focus");
    editor
        .send_keys(&format!("{}x", Key::Home))
        .await
        .expect("type the typo");

    let diagnostic = wait_for(
        c,
        &format!("#diagnostics li.diagnostic.error[data-line='{line}'][data-column='1']"),
    )
    .await;
    let shown = diagnostic.text().await.expect("the diagnostic's text");
    assert!(shown.contains(&format!("{line}:1")), "{shown}");
    assert!(shown.contains("unknown key `xnext`"), "{shown}");
    assert!(shown.contains("next"), "the fix is offered: {shown}");
    assert_eq!(
        text(c, "#check-summary").await,
        "1 error, 0 warnings",
        "one mistake, one error"
    );
    // The gutter marks the line too.
    wait_for(c, ".cm-gutter-lint .cm-lint-marker-error").await;
    screenshot(c, "#editor-pane", "editor.png").await;

    diagnostic.click().await.expect("click the diagnostic");
    let active = text(c, ".cm-activeLine").await;
    assert!(
        active.starts_with("xnext = "),
        "the cursor is on the typo: {active}"
    );
}

/// N5 on the virtual clock: the opening, the reprompt at 5 s, the goodbye
/// at 10 s, and the hang-up at 15 s, with no real waiting.
async fn a_silent_call_hears_three_prompts_5_s_apart_then_the_hang_up(c: &Client, studio: &Studio) {
    open(c, studio).await;
    start_call(c).await;
    for _ in 0..3 {
        click(c, "#sim-call [data-act=silence]").await;
    }
    wait_for(
        c,
        "#sim-turns li.turn[data-at-ms='15000'] [data-action=hangup]",
    )
    .await;
    let turns = c
        .find_all(Locator::Css("#sim-turns li.turn"))
        .await
        .expect("the turns");
    let mut seen = Vec::new();
    for t in &turns {
        let at = t
            .attr("data-at-ms")
            .await
            .expect("an attribute")
            .unwrap_or_default();
        let mut prompts = Vec::new();
        for p in t.find_all(Locator::Css(".prompt")).await.expect("prompts") {
            prompts.push(
                p.attr("data-prompt")
                    .await
                    .expect("an attribute")
                    .unwrap_or_default(),
            );
        }
        seen.push((at, prompts));
    }
    assert_eq!(
        seen,
        [
            ("0".to_owned(), vec!["opening".to_owned()]),
            ("5000".to_owned(), vec!["silence_reprompt".to_owned()]),
            ("10000".to_owned(), vec!["silence_goodbye".to_owned()]),
            ("15000".to_owned(), vec![]),
        ],
        "three prompts 5 s apart, then the hang-up"
    );
    assert_eq!(text(c, "#sim-clock").await, "15.000 s");
    let ended = text(c, "#sim-turns li.turn[data-at-ms='15000'] .ended").await;
    assert_eq!(ended, "call ended: silence");
    wait_for(c, "#sim-call[data-state=ended]").await;
}

/// Key 3 is the bill; the lookup's answer gives the amount, which the next
/// prompt says; the diagram lights up welcome → bill → bill_answer.
async fn key_3_and_the_bills_lookup_light_up_the_path_and_the_amount(c: &Client, studio: &Studio) {
    open(c, studio).await;
    start_call(c).await;
    click(c, "#sim-keypad [data-key='3']").await;
    wait_for(
        c,
        "#sim-turns li.turn[data-state=looking_up] [data-action=lookup]",
    )
    .await;
    let understood = text(c, "#sim-turns li.turn[data-state=looking_up] .understood").await;
    assert!(understood.contains("understood as bill"), "{understood}");

    let form = wait_for(c, "#sim-result[data-kind=lookup]").await;
    assert!(
        form.is_displayed().await.expect("visibility"),
        "the lookup's form is shown"
    );
    let name = wait_for(c, "#sim-result input[name=name]").await;
    assert_eq!(
        name.prop("value").await.expect("a value").as_deref(),
        Some("bill")
    );
    wait_for(c, "#sim-result input[name=variables]")
        .await
        .send_keys("amount=58.50")
        .await
        .expect("type the amount");
    click(c, "#sim-result button[value=ok]").await;

    let said = text(
        c,
        "#sim-turns .prompt[data-prompt=bill_answer] .prompt-text",
    )
    .await;
    assert!(said.contains("58.50"), "the amount is said: {said}");
    assert_eq!(text(c, "#sim-variables dd[data-var=amount]").await, "58.50");
    for step in ["welcome", "bill", "bill_answer", "anything_else"] {
        wait_for(c, &format!("#diagram g.node.visited[data-step={step}]")).await;
    }
    wait_for(c, "#diagram g.node.current[data-step=anything_else]").await;
    for (from, to) in [("welcome", "bill"), ("bill", "bill_answer")] {
        wait_for(
            c,
            &format!("#diagram path.edge.taken[data-from={from}][data-to={to}]"),
        )
        .await;
    }
    let untaken = c
        .find_all(Locator::Css(
            "#diagram g.node.visited[data-step=change_plan]",
        ))
        .await
        .expect("a query");
    assert!(
        untaken.is_empty(),
        "a step the call did not visit stays plain"
    );

    click(c, "#zoom-fit").await;
    screenshot(c, "#diagram-pane", "diagram.png").await;
    screenshot(c, "#simulator-pane", "simulator.png").await;
    if std::env::var_os("STUDIO_SCREENSHOTS").is_some() {
        let png = c.screenshot().await.expect("a screenshot");
        std::fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/studio/studio.png"),
            png,
        )
        .expect("write the screenshot");
    }
}

/// The call of the previous scenario, hung up and saved as a test: the
/// file lands in the scenarios directory and `callscript simulate
/// --scenario` passes it against the flow.
async fn a_saved_call_is_a_scenario_that_simulate_passes(c: &Client, studio: &Studio) {
    click(c, "#sim-call [data-act=hangup]").await;
    wait_for(c, "#sim-call[data-state=ended]").await;
    let name = wait_for(c, "#sim-test-name").await;
    name.send_keys("studio-bill-by-keys")
        .await
        .expect("type the name");
    click(c, "#sim-save button[type=submit]").await;
    wait_for(c, "#sim-save-status[data-saved]").await;

    let file = studio.scenarios.path().join("studio-bill-by-keys.toml");
    assert!(
        file.is_file(),
        "the scenario is saved as {}",
        file.display()
    );
    let run = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .arg("simulate")
        .arg("--scenario")
        .arg(&file)
        .arg("--flows")
        .arg(studio.flows.path())
        .output()
        .expect("callscript simulate runs");
    assert!(
        run.status.success(),
        "the saved scenario passes:\n{}\n{}\n{}",
        std::fs::read_to_string(&file).unwrap_or_default(),
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Someone else saves the hotline after the page opened it: "Save flow"
/// writes nothing, shows their change against ours, and "Reload" brings
/// theirs into the editor.
async fn a_stale_save_gets_the_conflict_and_its_diff(c: &Client, studio: &Studio) {
    open(c, studio).await;
    let original = std::fs::read_to_string(studio.hotline()).expect("the hotline flow");
    let theirs = original.replacen("\n", "\n# theirs: a colleague's note\n", 1);
    std::fs::write(studio.hotline(), &theirs).expect("a colleague saves");

    let first = c
        .find(Locator::Css(".cm-content .cm-line"))
        .await
        .expect("the editor's first line");
    first.click().await.expect("click into the editor");
    let editor = c.active_element().await.expect("the editor has the focus");
    editor
        .send_keys(&format!("{}# mine: my note\n", Key::Home))
        .await
        .expect("type an edit");
    wait_for(c, "body[data-dirty=true]").await;
    click(c, "#save-flow").await;

    wait_for(c, "dialog#conflict[open]").await;
    let diff = text(c, "#conflict-diff").await;
    assert!(diff.contains("# theirs: a colleague's note"), "{diff}");
    assert!(diff.contains("# mine: my note"), "{diff}");
    let status = text(c, "#flow-status").await;
    assert!(status.contains("Not saved"), "{status}");
    assert_eq!(
        std::fs::read_to_string(studio.hotline()).expect("the hotline flow"),
        theirs,
        "nothing is written"
    );

    click(c, "#conflict-reload").await;
    wait_for(c, "body[data-dirty=false]").await;
    let lines = c
        .find_all(Locator::Css(".cm-content .cm-line"))
        .await
        .expect("the editor's lines");
    let mut shown = Vec::new();
    for l in lines.iter().take(3) {
        shown.push(l.text().await.expect("a line's text"));
    }
    assert!(
        shown.iter().any(|l| l == "# theirs: a colleague's note"),
        "their text is in the editor now: {shown:?}"
    );
    assert!(!shown.iter().any(|l| l.contains("# mine")), "{shown:?}");

    // On their text now, the save goes through and the change log has it.
    let first = c
        .find(Locator::Css(".cm-content .cm-line"))
        .await
        .expect("the editor's first line");
    first.click().await.expect("click into the editor");
    let editor = c.active_element().await.expect("the editor has the focus");
    editor
        .send_keys(&format!("{}# mine, on theirs\n", Key::Home))
        .await
        .expect("type an edit");
    click(c, "#save-flow").await;
    wait_for(c, "#flow-status[data-kind=ok]").await;
    wait_for(c, "body[data-dirty=false]").await;
    let saved = std::fs::read_to_string(studio.hotline()).expect("the hotline flow");
    assert!(
        saved.starts_with("# mine, on theirs\n"),
        "the file is written"
    );
    click(c, "#show-changes").await;
    let change = text(c, "#changes li.change").await;
    assert!(change.contains("saved hotline.toml"), "{change}");
}

/// With a tokens file the page asks for a token when the API answers 401,
/// asks again for a wrong one, and an operator's token shows the calls.
async fn a_token_is_asked_for_and_an_operator_sees_the_calls(c: &Client, studio: &Studio) {
    c.goto(&studio.url).await.expect("the studio loads");
    wait_for(c, "dialog#token-dialog[open]").await;
    let token = wait_for(c, "#token-input").await;
    token.send_keys("not-a-token").await.expect("type a token");
    click(c, "#token-submit").await;
    wait_for(c, "dialog#token-dialog[open]").await;
    let why = text(c, "#token-why").await;
    assert!(
        why.contains("not accepted"),
        "a wrong token is refused: {why}"
    );

    let token = wait_for(c, "#token-input").await;
    token.send_keys(OPERATOR).await.expect("type a token");
    click(c, "#token-submit").await;
    wait_for(c, "body[data-roles=operator]").await;
    let calls = wait_for(c, "#operator-panel").await;
    assert!(
        calls.is_displayed().await.expect("visibility"),
        "an operator sees the calls"
    );
    let live = text(c, "#live-calls tbody").await;
    assert_eq!(live, "No calls right now.");
}

/// The designer's token, typed after the operator's is dropped, opens the
/// flow in the editor.
async fn a_designers_token_opens_the_flow(c: &Client, studio: &Studio) {
    c.execute("sessionStorage.clear()", vec![])
        .await
        .expect("forget the token");
    c.goto(&format!("{}?flow=hotline", studio.url))
        .await
        .expect("the studio loads");
    let token = wait_for(c, "dialog#token-dialog[open] #token-input").await;
    token.send_keys(DESIGNER).await.expect("type a token");
    click(c, "#token-submit").await;
    wait_for(c, "body[data-ready=true][data-roles=designer]").await;
    wait_for(c, "#diagram g.node[data-step=welcome]").await;
}
