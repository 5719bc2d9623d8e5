//! `cargo bench --bench http [-- --quick]`: the real release binary on its
//! default SQLite store (cold start, RSS, gallery GET/create throughput, list
//! vs get latency) next to a bare axum + sqlx SQLite handler with the same
//! durability settings in a process of its own (this binary run with
//! `--bare-server`), the floor of HTTP plus a durable store on this machine.
//! The load generator runs in this process; what each number means is in
//! BENCHMARKS.md. `-- --replication` instead measures the worker's CPU per
//! replicated region and an idle emulator's CPU.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const BIN: &str = env!("CARGO_BIN_EXE_gallery-emulator");
const SUB: &str = "00000000-0000-0000-0000-000000000001";
const API: &str = "2026-03-03";
/// A gallery as a client would create it.
const GALLERY_BODY: &str = r#"{"location":"westus","tags":{"env":"bench","team":"images"},"properties":{"description":"Images built by the nightly pipeline"}}"#;
/// Quota for the throughput servers: high enough never to refuse a create.
const UNLIMITED_QUOTA: &str = "100000000";
/// Resource groups the 10,000 galleries are spread over.
const GROUPS: usize = 10;
/// Galleries (and bare documents) that GET points cycle through.
const GET_SET: usize = 100;

// ---- options ----------------------------------------------------------------

struct Opts {
    quick: bool,
    cold_runs: usize,
    galleries: usize,
    runs: usize,
    warmup: Duration,
    duration: Duration,
    list_samples: usize,
    keep: bool,
    /// Only the throughput rounds (no cold start, RSS or list measures).
    throughput_only: bool,
    /// Start an emulator and the bare handler, seeded as for the throughput
    /// rounds, print their addresses and serve until stopped.
    serve: bool,
    /// Let the bare handler's inserts collide on SQLite's write lock (its busy
    /// handler sleeps) instead of queueing in-process as the emulator's writes do.
    bare_no_writer_lock: bool,
    /// Run the replication benchmark instead, with these numbers of versions.
    replication: Option<Vec<usize>>,
    /// The time scale of the replication benchmark.
    time_scale: f64,
    /// How long the idle emulator is watched after replication.
    idle: Duration,
}

impl Opts {
    fn parse() -> Opts {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let quick = args.iter().any(|a| a == "--quick");
        let mut o = if quick {
            Opts {
                quick,
                cold_runs: 5,
                galleries: 1_000,
                runs: 1,
                warmup: Duration::from_millis(250),
                duration: Duration::from_secs(1),
                list_samples: 50,
                keep: false,
                throughput_only: false,
                serve: false,
                bare_no_writer_lock: false,
                replication: None,
                time_scale: 0.05,
                idle: Duration::from_secs(5),
            }
        } else {
            Opts {
                quick,
                cold_runs: 20,
                galleries: 10_000,
                runs: 3,
                warmup: Duration::from_secs(1),
                duration: Duration::from_secs(5),
                list_samples: 300,
                keep: false,
                throughput_only: false,
                serve: false,
                bare_no_writer_lock: false,
                replication: None,
                time_scale: 0.25,
                idle: Duration::from_secs(30),
            }
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = |name: &str| -> f64 {
                it.next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{name} needs a number"))
            };
            match a.as_str() {
                "--cold-runs" => o.cold_runs = value(a) as usize,
                "--galleries" => o.galleries = value(a) as usize,
                "--runs" => o.runs = value(a) as usize,
                "--warmup" => o.warmup = Duration::from_secs_f64(value(a)),
                "--duration" => o.duration = Duration::from_secs_f64(value(a)),
                "--list-samples" => o.list_samples = value(a) as usize,
                "--keep" => o.keep = true,
                "--throughput-only" => o.throughput_only = true,
                "--serve" => o.serve = true,
                "--bare-no-writer-lock" => o.bare_no_writer_lock = true,
                "--replication" => {
                    o.replication = Some(if quick {
                        vec![200, 1_000]
                    } else {
                        vec![1_000, 10_000]
                    });
                }
                "--versions" => {
                    let list = it.next().expect("--versions needs counts, e.g. 1000,10000");
                    o.replication = Some(
                        list.split(',')
                            .map(|n| n.trim().parse().expect("a count of versions"))
                            .collect(),
                    );
                }
                "--time-scale" => o.time_scale = value(a),
                "--idle" => o.idle = Duration::from_secs_f64(value(a)),
                // `cargo bench` passes --bench; a filter word means nothing here.
                _ => {}
            }
        }
        assert!(
            o.cold_runs > 0 && o.runs > 0 && o.list_samples > 0 && o.galleries >= GET_SET,
            "counts must be positive and --galleries at least {GET_SET}"
        );
        o
    }
}

fn fresh_dir(label: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "gallery-emulator-bench-{label}-{}",
        uuid::Uuid::new_v4()
    ))
}

// ---- the servers under test ---------------------------------------------------

/// A server under test in a process of its own (the emulator, or the bare
/// handler): it prints `listening on http://ADDR` first, and is killed when
/// dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// Its SQLite write-ahead log.
    wal: PathBuf,
    /// Held so the server never writes into a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    fn spawn(command: &mut Command, wal: PathBuf) -> Server {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {command:?}: {e}"));
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .split("listening on http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        Server {
            child,
            addr,
            wal,
            _stdout: stdout,
        }
    }

    fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }

    fn wal_bytes(&self) -> u64 {
        file_len(&self.wal)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns the emulator on `dir` and returns it with the instant it was
/// spawned, once it has printed its listening line.
fn spawn_emulator(dir: &Path, extra: &[&str]) -> (Server, Instant) {
    let started = Instant::now();
    let emulator = Server::spawn(
        Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--log", "warn", "--data-dir"])
            .arg(dir)
            .args(extra)
            .env_remove("GALLERY_EMULATOR_TIMING")
            .env_remove("GALLERY_EMULATOR_PAGE_SIZE"),
        dir.join("gallery-emulator.db-wal"),
    );
    (emulator, started)
}

/// Spawns the emulator and waits for the first 200 from the readiness probe;
/// returns the time from spawn to that 200 and from spawn to the listening line.
fn start_emulator(dir: &Path, extra: &[&str]) -> (Server, Duration, Duration) {
    let (emulator, started) = spawn_emulator(dir, extra);
    let listening = started.elapsed();
    let deadline = started + Duration::from_secs(30);
    while !ready_once(emulator.addr) {
        assert!(Instant::now() < deadline, "the emulator never became ready");
        std::thread::sleep(Duration::from_micros(100));
    }
    let took = started.elapsed();
    (emulator, took, listening)
}

/// One blocking `GET /_emulator/ready` on a fresh connection: true on a 200.
fn ready_once(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_nodelay(true);
    let request =
        format!("GET /_emulator/ready HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    response.starts_with(b"HTTP/1.1 200")
}

fn rss_kib(pid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn gallery_path(rg: &str, name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{name}?api-version={API}"
    )
}

fn list_path() -> String {
    format!("/subscriptions/{SUB}/providers/Microsoft.Compute/galleries?api-version={API}")
}

// ---- the bare handler ----------------------------------------------------------

/// Spawns the bare handler on `dir`, serving `doc`: axum + sqlx SQLite in a
/// process of its own (this bench binary run with `--bare-server`), on a
/// multi-thread runtime with as many worker threads as the emulator's, one
/// JSON document per request, nothing else.
fn start_bare(dir: &Path, doc: &str, writer_lock: bool) -> Server {
    let exe = std::env::current_exe().expect("the bench binary");
    let mut command = Command::new(exe);
    command.arg("--bare-server").arg(dir).arg(doc);
    if !writer_lock {
        command.arg("--bare-no-writer-lock");
    }
    Server::spawn(&mut command, dir.join("bare.db-wal"))
}

/// The bare handler's process: makes `dir/bare.db` holding `GET_SET` copies
/// of `doc`, prints the address it serves on and serves until killed.
fn bare_server(dir: &Path, doc: &str, writer_lock: bool) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("bare runtime");
    runtime.block_on(async {
        std::fs::create_dir_all(dir).expect("bare data dir");
        // The emulator's settings (src/store/sqlite.rs): WAL, full fsync,
        // up to 4 connections reading, no ping before a connection is used.
        let options = SqliteConnectOptions::new()
            .filename(dir.join("bare.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .expect("open bare.db");
        sqlx::query("CREATE TABLE docs (key TEXT NOT NULL PRIMARY KEY, body TEXT NOT NULL)")
            .execute(&pool)
            .await
            .expect("create docs");
        for i in 0..GET_SET {
            sqlx::query("INSERT INTO docs (key, body) VALUES ($1, $2)")
                .bind(format!("get{i}"))
                .bind(doc)
                .execute(&pool)
                .await
                .expect("seed docs");
        }
        let state = BareState {
            pool,
            writer: writer_lock.then(|| Arc::new(tokio::sync::Mutex::new(()))),
        };
        let app = axum::Router::new()
            .route("/docs/{key}", axum::routing::get(bare_get).put(bare_put))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind bare");
        println!(
            "listening on http://{}",
            listener.local_addr().expect("bare addr")
        );
        axum::serve(listener, app).await.expect("serve bare");
    });
}

#[derive(Clone)]
struct BareState {
    pool: sqlx::SqlitePool,
    /// Writers queue here for SQLite's one write lock, as the emulator's store
    /// does (src/store/sqlite.rs), rather than sleep in SQLite's busy handler.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
}

async fn bare_get(State(state): State<BareState>, UrlPath(key): UrlPath<String>) -> Response {
    match sqlx::query_scalar::<_, String>("SELECT body FROM docs WHERE key = $1")
        .bind(key)
        .fetch_optional(&state.pool)
        .await
    {
        Ok(Some(body)) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Parses the document, stores it in its own durable transaction and echoes
/// it. `execute` without RETURNING, so no statement is left unfinished and the
/// WAL can checkpoint (the pitfall in performance.md).
async fn bare_put(
    State(state): State<BareState>,
    UrlPath(key): UrlPath<String>,
    axum::Json(doc): axum::Json<serde_json::Value>,
) -> Response {
    let body = doc.to_string();
    let _turn = match &state.writer {
        Some(writer) => Some(writer.lock().await),
        None => None,
    };
    match sqlx::query("INSERT INTO docs (key, body) VALUES ($1, $2)")
        .bind(key)
        .bind(&body)
        .execute(&state.pool)
        .await
    {
        Ok(_) => (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

// ---- the load generator ----------------------------------------------------------

struct Req {
    method: Method,
    path: String,
    body: Bytes,
    expect: StatusCode,
}

/// The request client `worker` sends as its `seq`-th.
type MakeReq = Arc<dyn Fn(usize, u64) -> Req + Send + Sync>;

struct Client {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Client {
    /// One keep-alive HTTP/1.1 connection.
    async fn connect(addr: SocketAddr) -> Client {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Client {
            sender,
            host: addr.to_string(),
        }
    }

    async fn send(&mut self, method: Method, path: &str, body: Bytes) -> (StatusCode, Bytes) {
        self.sender.ready().await.expect("connection usable");
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.host);
        if !body.is_empty() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        let request = builder.body(Full::new(body)).expect("request");
        let response = self.sender.send_request(request).await.expect("response");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("response body")
            .to_bytes();
        (status, bytes)
    }

    async fn call(&mut self, req: &Req) -> Bytes {
        let (status, body) = self
            .send(req.method.clone(), &req.path, req.body.clone())
            .await;
        assert_eq!(
            status,
            req.expect,
            "{} {} answered {status}: {}",
            req.method,
            req.path,
            String::from_utf8_lossy(&body)
        );
        body
    }
}

#[derive(Clone, Copy, Default)]
struct Point {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    /// CPU the load generator used, in cores (its thread's CPU time over wall time).
    client_cores: f64,
}

/// CPU time of the calling thread, from /proc (clock ticks of 10 ms).
fn thread_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    f64::from(sorted[i])
}

/// Closed loop: `concurrency` connections each send the next request as soon
/// as the last answer is read. Throughput counts the answers completed within
/// the measured window; latencies are of the requests sent and answered in it.
async fn load(
    addr: SocketAddr,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    make: MakeReq,
) -> Point {
    // The current-thread runtime runs every client task on this thread.
    let cpu_before = thread_cpu_secs();
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await;
            let mut latencies: Vec<u32> = Vec::with_capacity(1 << 16);
            let mut completed = 0usize;
            let mut seq = 0u64;
            while Instant::now() < end {
                let req = make(worker, seq);
                seq += 1;
                let sent = Instant::now();
                client.call(&req).await;
                let done = Instant::now();
                if done >= measure_from && done <= end {
                    completed += 1;
                    if sent >= measure_from {
                        latencies
                            .push(u32::try_from((done - sent).as_micros()).unwrap_or(u32::MAX));
                    }
                }
            }
            (completed, latencies)
        }));
    }
    let (mut completed, mut all) = (0, Vec::new());
    for task in tasks {
        let (n, latencies) = task.await.expect("load task");
        completed += n;
        all.extend(latencies);
    }
    all.sort_unstable();
    Point {
        rps: completed as f64 / duration.as_secs_f64(),
        p50_us: percentile(&all, 0.5),
        p99_us: percentile(&all, 0.99),
        client_cores: (thread_cpu_secs() - cpu_before) / start.elapsed().as_secs_f64(),
    }
}

/// Sends every request of `reqs` once, over `concurrency` connections.
async fn send_all(addr: SocketAddr, concurrency: usize, reqs: Vec<Req>) {
    let reqs = Arc::new(reqs);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let reqs = reqs.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await;
            for req in reqs.iter().skip(worker).step_by(concurrency) {
                client.call(req).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("create task");
    }
}

fn put_gallery(rg: &str, name: &str) -> Req {
    Req {
        method: Method::PUT,
        path: gallery_path(rg, name),
        body: Bytes::from_static(GALLERY_BODY.as_bytes()),
        expect: StatusCode::CREATED,
    }
}

fn get(path: String) -> Req {
    Req {
        method: Method::GET,
        path,
        body: Bytes::new(),
        expect: StatusCode::OK,
    }
}

// ---- what a run measures ------------------------------------------------------------

/// The four throughput points of one server, in the order they run.
const POINTS: [(&str, usize); 4] = [("get", 1), ("get", 32), ("create", 1), ("create", 32)];

#[derive(Default)]
struct Round {
    points: HashMap<(&'static str, usize), Point>,
    wal_after: u64,
    rss_after_kib: u64,
}

fn emulator_round(
    driver: &tokio::runtime::Runtime,
    o: &Opts,
    round: usize,
    sample: &mut Option<Bytes>,
) -> Round {
    let dir = fresh_dir("tput");
    let (emu, _, _) = start_emulator(&dir, &["--gallery-quota", UNLIMITED_QUOTA]);
    let addr = emu.addr;
    let mut r = Round::default();
    driver.block_on(async {
        let seed = (0..GET_SET)
            .map(|i| put_gallery(&format!("get-rg{}", i % 4), &format!("get{i}")))
            .collect();
        send_all(addr, 8, seed).await;
        if sample.is_none() {
            let mut client = Client::connect(addr).await;
            *sample = Some(client.call(&get(gallery_path("get-rg0", "get0"))).await);
        }
        for (what, c) in POINTS {
            let make: MakeReq = match what {
                "get" => Arc::new(|w, seq| {
                    let i = (w as u64 * 7 + seq) as usize % GET_SET;
                    get(gallery_path(
                        &format!("get-rg{}", i % 4),
                        &format!("get{i}"),
                    ))
                }),
                _ => Arc::new(move |w, seq| {
                    put_gallery(
                        &format!("put-rg{}", seq % 4),
                        &format!("r{round}c{c}w{w}n{seq}"),
                    )
                }),
            };
            let p = load(addr, c, o.warmup, o.duration, make).await;
            eprintln!(
                "  emulator {what:<6} c{c:<2}: {:>9.0} req/s  p50 {:>7.0} µs  p99 {:>7.0} µs  generator {:.2} cores",
                p.rps, p.p50_us, p.p99_us, p.client_cores
            );
            r.points.insert((what, c), p);
        }
    });
    r.wal_after = emu.wal_bytes();
    r.rss_after_kib = emu.rss_kib();
    drop(emu);
    cleanup(o, &dir);
    r
}

fn bare_round(driver: &tokio::runtime::Runtime, o: &Opts, round: usize, doc: &Bytes) -> Round {
    let dir = fresh_dir("bare");
    let doc_str = std::str::from_utf8(doc).expect("utf-8 document");
    let bare = start_bare(&dir, doc_str, !o.bare_no_writer_lock);
    let addr = bare.addr;
    let mut r = Round::default();
    driver.block_on(async {
        for (what, c) in POINTS {
            let make: MakeReq = match what {
                "get" => Arc::new(|w, seq| {
                    let i = (w as u64 * 7 + seq) as usize % GET_SET;
                    get(format!("/docs/get{i}"))
                }),
                _ => {
                    let doc = doc.clone();
                    Arc::new(move |w, seq| Req {
                        method: Method::PUT,
                        path: format!("/docs/r{round}c{c}w{w}n{seq}"),
                        body: doc.clone(),
                        expect: StatusCode::CREATED,
                    })
                }
            };
            let p = load(addr, c, o.warmup, o.duration, make).await;
            eprintln!(
                "  bare     {what:<6} c{c:<2}: {:>9.0} req/s  p50 {:>7.0} µs  p99 {:>7.0} µs  generator {:.2} cores",
                p.rps, p.p50_us, p.p99_us, p.client_cores
            );
            r.points.insert((what, c), p);
        }
    });
    r.wal_after = bare.wal_bytes();
    drop(bare);
    cleanup(o, &dir);
    r
}

struct Scale {
    idle_rss_kib: u64,
    full_rss_kib: u64,
    create_secs: f64,
    list_p50_us: f64,
    get_p50_us: f64,
    /// Walking every page the first time, when no listed form is kept yet.
    walk_ms: f64,
    walk_pages: usize,
    walk_rss_kib: u64,
    list_bytes: usize,
    list_items: usize,
    wal_bytes: u64,
    db_bytes: u64,
    dir: PathBuf,
}

/// Idle RSS, then `galleries` creates over GROUPS resource groups, RSS again,
/// a walk through every list page (the first list of them all), and the
/// first list page against a single GET, sampled alternately.
fn scale(driver: &tokio::runtime::Runtime, o: &Opts) -> Scale {
    let dir = fresh_dir("scale");
    let (emu, _, _) = start_emulator(&dir, &["--gallery-quota", "100000"]);
    let addr = emu.addr;
    let (idle_rss_kib, create_secs) = driver.block_on(async {
        let mut client = Client::connect(addr).await;
        client.call(&get("/_emulator/ready".into())).await;
        client.call(&put_gallery("rg0", "idle0")).await;
        client.call(&get(gallery_path("rg0", "idle0"))).await;
        client.call(&get(list_path())).await;
        drop(client);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let idle = emu.rss_kib();
        let reqs = (1..o.galleries)
            .map(|i| put_gallery(&format!("rg{}", i % GROUPS), &format!("g{i:05}")))
            .collect();
        let started = Instant::now();
        send_all(addr, 32, reqs).await;
        (idle, started.elapsed().as_secs_f64())
    });
    let full_rss_kib = emu.rss_kib();
    let (walk_ms, walk_pages) = driver.block_on(async {
        let mut client = Client::connect(addr).await;
        let mut next = Some(list_path());
        let (mut pages, mut items) = (0, 0);
        let started = Instant::now();
        while let Some(path) = next.take() {
            let page: serde_json::Value =
                serde_json::from_slice(&client.call(&get(path)).await).expect("list JSON");
            pages += 1;
            items += page["value"].as_array().map_or(0, Vec::len);
            next = page["nextLink"]
                .as_str()
                .map(|link| link[link.find("/subscriptions/").expect("a list path")..].to_string());
        }
        assert_eq!(items, o.galleries, "the walk lists every gallery once");
        (started.elapsed().as_secs_f64() * 1000.0, pages)
    });
    let walk_rss_kib = emu.rss_kib();
    let (list_p50_us, get_p50_us, list_bytes, list_items) = driver.block_on(async {
        let mut client = Client::connect(addr).await;
        let list = get(list_path());
        let single = get(gallery_path("rg7", "g00007"));
        let first = client.call(&list).await;
        let page: serde_json::Value = serde_json::from_slice(&first).expect("list JSON");
        let items = page["value"].as_array().map_or(0, Vec::len);
        assert!(
            page["nextLink"].is_string(),
            "the first page of {} galleries has no nextLink",
            o.galleries
        );
        let (mut lists, mut gets) = (Vec::new(), Vec::new());
        for i in 0..o.list_samples + 10 {
            let t = Instant::now();
            client.call(&list).await;
            let l = t.elapsed();
            let t = Instant::now();
            client.call(&single).await;
            let g = t.elapsed();
            if i >= 10 {
                lists.push(l.as_micros() as u32);
                gets.push(g.as_micros() as u32);
            }
        }
        lists.sort_unstable();
        gets.sort_unstable();
        (
            percentile(&lists, 0.5),
            percentile(&gets, 0.5),
            first.len(),
            items,
        )
    });
    let s = Scale {
        idle_rss_kib,
        full_rss_kib,
        create_secs,
        list_p50_us,
        get_p50_us,
        walk_ms,
        walk_pages,
        walk_rss_kib,
        list_bytes,
        list_items,
        wal_bytes: emu.wal_bytes(),
        db_bytes: file_len(&dir.join("gallery-emulator.db")),
        dir,
    };
    drop(emu);
    s
}

// ---- reporting ----------------------------------------------------------------------------

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn median_point(rounds: &[Round], key: (&'static str, usize)) -> Point {
    let pick = |f: fn(&Point) -> f64| median(rounds.iter().map(|r| f(&r.points[&key])).collect());
    Point {
        rps: pick(|p| p.rps),
        p50_us: pick(|p| p.p50_us),
        p99_us: pick(|p| p.p99_us),
        client_cores: pick(|p| p.client_cores),
    }
}

fn ms(d: f64) -> String {
    format!("{d:.1} ms")
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

fn cleanup(o: &Opts, dir: &Path) {
    if !o.keep {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let tmp = std::env::temp_dir();
    let fs = std::fs::read_to_string("/proc/mounts")
        .ok()
        .and_then(|m| {
            m.lines()
                .filter_map(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    (f.len() > 2 && tmp.starts_with(f[1])).then(|| (f[1].len(), f[2].to_string()))
                })
                .max()
                .map(|(_, fs)| fs)
        })
        .unwrap_or_default();
    format!(
        "{cores} cores ({cpu}), Linux {}, data dirs in {} ({fs})",
        kernel.trim(),
        tmp.display()
    )
}

/// The commit benchmarked, and whether src/ or migrations/ differ from it.
fn revision() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&[
                "status",
                "--porcelain",
                "--",
                "src",
                "migrations",
                "Cargo.toml",
                "Cargo.lock",
            ])
            .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit} with uncommitted changes in src/, migrations/ or Cargo files")
            } else {
                commit
            }
        }
        None => "unknown (no git)".to_string(),
    }
}

/// The report's title and the facts of the run it comes from.
fn report_header(o: &Opts, what: &str, load_before: &str) {
    let kind = if o.quick {
        "QUICK RUN (not the full benchmark)"
    } else {
        "full run"
    };
    println!("\n## gallery-emulator {what}: {kind}\n");
    println!("- machine: {}", machine());
    println!("- source: {}", revision());
    println!(
        "- load average before / after: {load_before} / {}",
        loadavg()
    );
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--bare-server") {
        let dir = args.get(at + 1).expect("--bare-server DIR DOC");
        let doc = args.get(at + 2).expect("--bare-server DIR DOC");
        let writer_lock = !args.iter().any(|a| a == "--bare-no-writer-lock");
        bare_server(Path::new(dir), doc, writer_lock);
        return;
    }
    let o = Opts::parse();
    let load_before = loadavg();
    let driver = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("load generator runtime");
    if let Some(counts) = o.replication.clone() {
        replication_report(&driver, &o, &counts, &load_before);
        return;
    }

    if o.serve {
        serve(&driver, &o);
        return;
    }
    if o.throughput_only {
        let (emu_rounds, bare_rounds, _) = throughput(&driver, &o);
        report_header(&o, "throughput", &load_before);
        println!("| measure | gallery-emulator | reference | ratio | target | |");
        println!("|---|---|---|---|---|---|");
        throughput_rows(&emu_rounds, &bare_rounds);
        throughput_details(&emu_rounds, &bare_rounds);
        return;
    }

    eprintln!("cold start on fresh data dirs ({} runs)", o.cold_runs);
    let (mut fresh, mut fresh_line) = (Vec::new(), Vec::new());
    for _ in 0..o.cold_runs {
        let dir = fresh_dir("cold");
        let (emu, took, line) = start_emulator(&dir, &[]);
        drop(emu);
        cleanup(&o, &dir);
        fresh.push(took.as_secs_f64() * 1e3);
        fresh_line.push(line.as_secs_f64() * 1e3);
    }

    eprintln!("{} galleries: RSS and first list page", o.galleries);
    let s = scale(&driver, &o);

    eprintln!(
        "cold start on the data dir holding {} galleries ({} runs)",
        o.galleries, o.cold_runs
    );
    let (mut existing, mut existing_line) = (Vec::new(), Vec::new());
    for _ in 0..o.cold_runs {
        let (emu, took, line) = start_emulator(&s.dir, &["--gallery-quota", "100000"]);
        drop(emu);
        existing.push(took.as_secs_f64() * 1e3);
        existing_line.push(line.as_secs_f64() * 1e3);
    }
    cleanup(&o, &s.dir);

    let (emu_rounds, bare_rounds, doc_len) = throughput(&driver, &o);

    // ---- the report (stdout, markdown) ----
    let fresh_ms = median(fresh.clone());
    let existing_ms = median(existing.clone());
    let minmax = |xs: &[f64]| {
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(0.0, f64::max);
        format!("{lo:.1}–{hi:.1}")
    };
    report_header(&o, "benchmark", &load_before);
    println!(
        "- cold start runs: {}; galleries: {} over {GROUPS} resource groups; throughput: {} run(s) × (warm-up {:.2} s + {:.2} s) per point; list samples: {}",
        o.cold_runs,
        o.galleries,
        o.runs,
        o.warmup.as_secs_f64(),
        o.duration.as_secs_f64(),
        o.list_samples
    );
    println!("- gallery document (GET body, also the bare handler's document): {doc_len} bytes");
    println!(
        "- load generator: in the bench process, one thread, keep-alive HTTP/1.1, shares the cores with the server"
    );
    println!(
        "- bare handler inserts: {}\n",
        if o.bare_no_writer_lock {
            "straight to the pool (they collide on SQLite's write lock)"
        } else {
            "queued on an in-process lock, as the emulator's writes are"
        }
    );

    println!("| measure | gallery-emulator | reference | ratio | target | |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| cold start, fresh data dir (median; min–max) | {} ({} ms) | listening line at {} | | ≤ 20 ms | {} |",
        ms(fresh_ms),
        minmax(&fresh),
        ms(median(fresh_line)),
        verdict(fresh_ms <= 20.0)
    );
    println!(
        "| cold start, data dir with {} galleries (median; min–max) | {} ({} ms) | listening line at {} | | ≤ 20 ms | {} |",
        o.galleries,
        ms(existing_ms),
        minmax(&existing),
        ms(median(existing_line)),
        verdict(existing_ms <= 20.0)
    );
    println!(
        "| idle RSS (VmRSS) | {} | | | ≤ 15 MB | {} |",
        mib(s.idle_rss_kib),
        verdict(s.idle_rss_kib as f64 / 1024.0 <= 15.0)
    );
    println!(
        "| RSS after {} galleries | {} | | | | |",
        o.galleries,
        mib(s.full_rss_kib)
    );
    println!(
        "| RSS after listing them all once | {} | | | | |",
        mib(s.walk_rss_kib)
    );
    throughput_rows(&emu_rounds, &bare_rounds);
    let list_ratio = s.list_p50_us / s.get_p50_us;
    println!(
        "| first list page ({} of {} galleries, {} bytes), p50 | {:.0} µs | single GET {:.0} µs | {:.1}× | ≤ 3× | {} |",
        s.list_items,
        o.galleries,
        s.list_bytes,
        s.list_p50_us,
        s.get_p50_us,
        list_ratio,
        verdict(list_ratio <= 3.0)
    );
    println!(
        "| every list page, the first time (nothing kept yet): {} pages | {:.0} ms | {:.0} µs a page | | | |",
        s.walk_pages,
        s.walk_ms,
        s.walk_ms * 1000.0 / s.walk_pages as f64
    );

    throughput_details(&emu_rounds, &bare_rounds);
    println!();
    println!(
        "- creating {} galleries at c32 took {:.2} s ({:.0} /s); then gallery-emulator.db {:.1} MiB, -wal {:.1} MiB",
        o.galleries - 1,
        s.create_secs,
        (o.galleries - 1) as f64 / s.create_secs,
        s.db_bytes as f64 / 1048576.0,
        s.wal_bytes as f64 / 1048576.0
    );
    let max_wal =
        |rs: &[Round]| rs.iter().map(|r| r.wal_after).max().unwrap_or(0) as f64 / 1048576.0;
    println!(
        "- WAL after a throughput round (largest): emulator {:.1} MiB, bare {:.1} MiB (a WAL that keeps growing means a checkpoint is starved)",
        max_wal(&emu_rounds),
        max_wal(&bare_rounds)
    );
    println!(
        "- emulator RSS after a throughput round (largest): {}",
        mib(emu_rounds
            .iter()
            .map(|r| r.rss_after_kib)
            .max()
            .unwrap_or(0))
    );
}

/// Both servers of a throughput round, seeded alike, for another load
/// generator: GET `/docs/get0` … `/docs/get99` of the bare handler and the
/// galleries `get0` … `get99` (resource groups `get-rg0` … `get-rg3`, by the
/// number modulo 4) of the emulator.
fn serve(driver: &tokio::runtime::Runtime, o: &Opts) {
    let emu_dir = fresh_dir("serve");
    let (emu, _, _) = start_emulator(&emu_dir, &["--gallery-quota", UNLIMITED_QUOTA]);
    let doc = driver.block_on(async {
        let seed = (0..GET_SET)
            .map(|i| put_gallery(&format!("get-rg{}", i % 4), &format!("get{i}")))
            .collect();
        send_all(emu.addr, 8, seed).await;
        let mut client = Client::connect(emu.addr).await;
        client.call(&get(gallery_path("get-rg0", "get0"))).await
    });
    let bare_dir = fresh_dir("serve-bare");
    let doc = std::str::from_utf8(&doc).expect("utf-8 document");
    let bare = start_bare(&bare_dir, doc, !o.bare_no_writer_lock);
    println!(
        "emulator: http://{}{}",
        emu.addr,
        gallery_path("get-rg0", "get0")
    );
    println!("bare:     http://{}/docs/get0", bare.addr);
    println!(
        "(Ctrl-C stops both; data dirs {} and {})",
        emu_dir.display(),
        bare_dir.display()
    );
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// The throughput rounds, emulator and bare handler interleaved; and the
/// size of the gallery document both serve.
fn throughput(driver: &tokio::runtime::Runtime, o: &Opts) -> (Vec<Round>, Vec<Round>, usize) {
    let mut emu_rounds = Vec::new();
    let mut bare_rounds = Vec::new();
    let mut sample = None;
    for round in 0..o.runs {
        eprintln!("throughput round {} of {}", round + 1, o.runs);
        emu_rounds.push(emulator_round(driver, o, round, &mut sample));
        let doc = sample.clone().expect("a gallery GET body");
        bare_rounds.push(bare_round(driver, o, round, &doc));
    }
    let doc_len = sample.map_or(0, |d| d.len());
    (emu_rounds, bare_rounds, doc_len)
}

/// The summary table's rows of the throughput points.
fn throughput_rows(emu_rounds: &[Round], bare_rounds: &[Round]) {
    for (what, c) in POINTS {
        let e = median_point(emu_rounds, (what, c));
        let b = median_point(bare_rounds, (what, c));
        let ratio = e.rps / b.rps;
        let (label, target) = match what {
            "get" => ("GET gallery", 0.60),
            _ => ("PUT (create) gallery", 0.50),
        };
        println!(
            "| {label}, c{c}: req/s (p50) | {:.0} /s ({:.0} µs) | bare {} {:.0} /s ({:.0} µs) | {:.0}% | ≥ {:.0}% | {} |",
            e.rps,
            e.p50_us,
            if what == "get" { "read" } else { "insert" },
            b.rps,
            b.p50_us,
            ratio * 100.0,
            target * 100.0,
            verdict(ratio >= target)
        );
    }
}

/// Every throughput point of both servers.
fn throughput_details(emu_rounds: &[Round], bare_rounds: &[Round]) {
    println!("\n### Details\n");
    println!(
        "| point | emulator req/s | p50 | p99 | generator CPU | bare req/s | p50 | p99 | generator CPU |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (what, c) in POINTS {
        let e = median_point(emu_rounds, (what, c));
        let b = median_point(bare_rounds, (what, c));
        println!(
            "| {what} c{c} | {:.0} | {:.0} µs | {:.0} µs | {:.2} cores | {:.0} | {:.0} µs | {:.0} µs | {:.2} cores |",
            e.rps, e.p50_us, e.p99_us, e.client_cores, b.rps, b.p50_us, b.p99_us, b.client_cores
        );
    }
}

// ---- replication ------------------------------------------------------------------

/// Target regions of every benchmarked version: five regions whose modelled
/// durations all differ (120 s to 480 s for 30 GB before the time scale), so
/// each region finishes at its own time and is its own worker step.
const REPLICATION_BODY: &str = r#"{"location":"westus","properties":{"storageProfile":{"source":{"id":"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/elsewhere/providers/Microsoft.Compute/images/base"}},"publishingProfile":{"targetRegions":[{"name":"westus"},{"name":"eastus","storageAccountType":"Standard_ZRS"},{"name":"westeurope","storageAccountType":"Standard_ZRS"},{"name":"japaneast","storageAccountType":"Premium_LRS"},{"name":"brazilsouth","storageAccountType":"Standard_LRS"}]}}}"#;
const REPLICATION_REGIONS: u64 = 5;

/// CPU seconds (user + system, all threads) process `pid` has used.
fn process_cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

struct ReplicationRun {
    versions: usize,
    create_secs: f64,
    steps: u64,
    recorded: u64,
    wall_secs: f64,
    cpu_secs: f64,
    rss_kib: u64,
    idle_cpu_secs: f64,
}

async fn json_of(client: &mut Client, method: Method, path: &str, body: &str) -> serde_json::Value {
    let (status, bytes) = client
        .send(method, path, Bytes::copy_from_slice(body.as_bytes()))
        .await;
    assert!(
        status.is_success(),
        "{path} answered {status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    serde_json::from_slice(&bytes).expect("a JSON answer")
}

/// Creates `versions` versions × 5 regions on a frozen manual clock, then
/// switches to realistic timing and measures the emulator's CPU until the
/// worker has finished every version; then watches it idle.
fn replication_run(driver: &tokio::runtime::Runtime, o: &Opts, versions: usize) -> ReplicationRun {
    let dir = fresh_dir("replication");
    let scale = o.time_scale.to_string();
    let (emu, _, _) = start_emulator(
        &dir,
        &[
            "--timing",
            "manual",
            "--time-scale",
            &scale,
            "--image-version-quota",
            UNLIMITED_QUOTA,
        ],
    );
    let addr = emu.addr;
    let pid = emu.child.id();
    let gallery =
        format!("/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Compute/galleries/g1");
    let image = format!("{gallery}/images/i1");
    let run = driver.block_on(async {
        let mut admin = Client::connect(addr).await;
        admin
            .call(&Req {
                method: Method::PUT,
                path: format!("{gallery}?api-version={API}"),
                body: Bytes::from_static(br#"{"location":"westus"}"#),
                expect: StatusCode::CREATED,
            })
            .await;
        admin
            .call(&Req {
                method: Method::PUT,
                path: format!("{image}?api-version={API}"),
                body: Bytes::from_static(br#"{"location":"westus","properties":{"osType":"Linux","osState":"Generalized","identifier":{"publisher":"p","offer":"o","sku":"s"}}}"#),
                expect: StatusCode::CREATED,
            })
            .await;
        for _ in 0..2 {
            json_of(&mut admin, Method::POST, "/_emulator/clock/advance", r#"{"toNextEvent":true}"#).await;
        }
        let reqs = (0..versions)
            .map(|i| Req {
                method: Method::PUT,
                path: format!(
                    "{image}/versions/{}.{}.{}?api-version={API}",
                    i / 1_000_000,
                    i / 1_000 % 1_000,
                    i % 1_000
                ),
                body: Bytes::from_static(REPLICATION_BODY.as_bytes()),
                expect: StatusCode::CREATED,
            })
            .collect();
        let started = Instant::now();
        send_all(addr, 32, reqs).await;
        let create_secs = started.elapsed().as_secs_f64();
        let before = json_of(&mut admin, Method::GET, "/_emulator/worker", "").await;
        let finished_before = before["operationsFinished"].as_u64().unwrap_or(0);

        let cpu_before = process_cpu_secs(pid);
        let let_go = Instant::now();
        json_of(&mut admin, Method::PUT, "/_emulator/timing", r#"{"mode":"realistic"}"#).await;
        let counters = loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let c = json_of(&mut admin, Method::GET, "/_emulator/worker", "").await;
            if c["operationsFinished"].as_u64().unwrap_or(0) >= finished_before + versions as u64 {
                break c;
            }
            assert!(
                let_go.elapsed() < Duration::from_secs(3_600),
                "replication never finished: {c}"
            );
        };
        let wall_secs = let_go.elapsed().as_secs_f64();
        let cpu_secs = process_cpu_secs(pid) - cpu_before;
        let rss_kib = emu.rss_kib();
        let idle_from = process_cpu_secs(pid);
        tokio::time::sleep(o.idle).await;
        let idle_cpu_secs = process_cpu_secs(pid) - idle_from;
        ReplicationRun {
            versions,
            create_secs,
            steps: counters["regionSteps"].as_u64().unwrap_or(0),
            recorded: counters["recordedSteps"].as_u64().unwrap_or(0),
            wall_secs,
            cpu_secs,
            rss_kib,
            idle_cpu_secs,
        }
    });
    drop(emu);
    cleanup(o, &dir);
    assert_eq!(
        run.steps,
        versions as u64 * REPLICATION_REGIONS,
        "every region of every version is one step"
    );
    assert_eq!(run.recorded, run.steps, "each step recorded once");
    run
}

fn replication_report(
    driver: &tokio::runtime::Runtime,
    o: &Opts,
    counts: &[usize],
    load_before: &str,
) {
    let mut runs = Vec::new();
    for &n in counts {
        eprintln!("replication: {n} versions × {REPLICATION_REGIONS} regions");
        let run = replication_run(driver, o, n);
        eprintln!(
            "  {:.2} CPU s over {:.1} s for {} region steps ({:.0} µs each); idle {:.3} CPU s in {:.0} s",
            run.cpu_secs,
            run.wall_secs,
            run.steps,
            run.cpu_secs / run.steps as f64 * 1e6,
            run.idle_cpu_secs,
            o.idle.as_secs_f64()
        );
        runs.push(run);
    }
    report_header(o, "replication benchmark", load_before);
    println!(
        "- versions of 30 GB × {REPLICATION_REGIONS} regions each, created at c32 on a frozen manual clock, then timing switched to realistic at time scale {}; the emulator's CPU (user + system, /proc/PID/stat) from the switch until its worker reports every version finished\n",
        o.time_scale
    );
    println!(
        "| versions | create (c32) | replication wall | region steps | worker CPU | CPU per region step | RSS after | idle CPU |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in &runs {
        println!(
            "| {} | {:.1} s | {:.1} s | {} | {:.2} s | {:.0} µs | {} | {:.2}% of a core over {:.0} s |",
            r.versions,
            r.create_secs,
            r.wall_secs,
            r.steps,
            r.cpu_secs,
            r.cpu_secs / r.steps as f64 * 1e6,
            mib(r.rss_kib),
            r.idle_cpu_secs / o.idle.as_secs_f64() * 100.0,
            o.idle.as_secs_f64()
        );
    }
    if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
        let per = |r: &ReplicationRun| r.cpu_secs / r.steps as f64;
        let ratio = per(last) / per(first);
        println!(
            "\n- CPU per region step, {} → {} versions: {:.2}× (target ≤ 1.5×) {}",
            first.versions,
            last.versions,
            ratio,
            verdict(ratio <= 1.5)
        );
        let idle = last.idle_cpu_secs / o.idle.as_secs_f64() * 100.0;
        println!(
            "- idle CPU after replication: {idle:.2}% of a core (target < 1%) {}",
            verdict(idle < 1.0)
        );
    }
}
