//! Reads openapi/coverage.md: the GalleryRP operations with their state and
//! the answer a client gets today, and the emulator-only routes. Shared by
//! the `openapi` and `examples` test targets.
#![allow(dead_code)]

use std::path::PathBuf;

/// The state coverage.md gives an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Supported,
    /// Not yet supported, with the status and ARM error code a client gets.
    NotYetSupported {
        status: u16,
        code: String,
    },
}

#[derive(Debug, Clone)]
pub struct Row {
    pub operation_id: String,
    pub method: String,
    pub path: String,
    pub state: State,
}

#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// The table of GalleryRP operations.
    pub gallery_rp: Vec<Row>,
    /// The emulator-only routes (state is always `Supported`).
    pub emulator_only: Vec<Row>,
}

impl Coverage {
    pub fn get(&self, operation_id: &str) -> Option<&Row> {
        self.gallery_rp
            .iter()
            .find(|r| r.operation_id == operation_id)
    }
}

pub fn file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/coverage.md")
}

pub fn load() -> Coverage {
    let path = file();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner
        .split('|')
        .map(|c| c.trim().trim_matches('`').trim().to_string())
        .collect()
}

/// The first `NNN Code` (a status followed by an error code) in `text`.
fn status_and_code(text: &str) -> Option<(u16, String)> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '`')
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).find_map(|w| {
        let status = w[0]
            .parse::<u16>()
            .ok()
            .filter(|s| (100..600).contains(s))?;
        let code: String = w[1]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        (!code.is_empty() && code.starts_with(|c: char| c.is_ascii_uppercase()))
            .then_some((status, code))
    })
}

pub fn parse(text: &str) -> Result<Coverage, String> {
    #[derive(PartialEq)]
    enum Section {
        Other,
        GalleryRp,
        EmulatorOnly,
    }
    let mut section = Section::Other;
    let mut coverage = Coverage::default();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        if let Some(heading) = line.strip_prefix("## ") {
            section = if heading.starts_with("GalleryRP operations") {
                Section::GalleryRp
            } else if heading.starts_with("Emulator-only") {
                Section::EmulatorOnly
            } else {
                Section::Other
            };
            continue;
        }
        if !line.trim_start().starts_with('|') || section == Section::Other {
            continue;
        }
        let c = cells(line);
        // Header and separator rows.
        if c.first()
            .is_some_and(|c| c == "#" || c == "operationId" || c.starts_with("---"))
        {
            continue;
        }
        match section {
            Section::GalleryRp => {
                if c.len() != 6 {
                    return Err(format!(
                        "line {n}: a GalleryRP row needs 6 cells (#, operationId, method, path, state, answer), found {}",
                        c.len()
                    ));
                }
                let state = match c[4].as_str() {
                    "supported" => State::Supported,
                    "not yet supported" => {
                        let (status, code) = status_and_code(&c[5]).ok_or_else(|| {
                            format!(
                                "line {n}: {} is not yet supported but names no `STATUS Code` answer: {:?}",
                                c[1], c[5]
                            )
                        })?;
                        State::NotYetSupported { status, code }
                    }
                    other => {
                        return Err(format!(
                            "line {n}: state must be 'supported' or 'not yet supported', found {other:?}"
                        ));
                    }
                };
                coverage.gallery_rp.push(Row {
                    operation_id: c[1].clone(),
                    method: c[2].to_ascii_uppercase(),
                    path: c[3].clone(),
                    state,
                });
            }
            Section::EmulatorOnly => {
                if c.len() != 4 {
                    return Err(format!(
                        "line {n}: an emulator-only row needs 4 cells (operationId, method, path, notes), found {}",
                        c.len()
                    ));
                }
                coverage.emulator_only.push(Row {
                    operation_id: c[0].clone(),
                    method: c[1].to_ascii_uppercase(),
                    path: c[2].clone(),
                    state: State::Supported,
                });
            }
            Section::Other => {}
        }
    }
    if coverage.gallery_rp.is_empty() {
        return Err("no '## GalleryRP operations' table found".into());
    }
    Ok(coverage)
}

/// The folder of the Azure reference spec, or `None` (with the skip printed)
/// when GALLERY_EMULATOR_SPEC_DIR is unset. A relative value is taken from
/// the crate root, as CI sets it (`../shared/reference/azure-spec`).
pub fn spec_dir(test: &str) -> Option<PathBuf> {
    match std::env::var("GALLERY_EMULATOR_SPEC_DIR") {
        Ok(v) if !v.trim().is_empty() => {
            let p = PathBuf::from(v.trim());
            let p = if p.is_relative() {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p)
            } else {
                p
            };
            assert!(
                p.join("2026-03-03/GalleryRP.json").is_file(),
                "GALLERY_EMULATOR_SPEC_DIR={} has no 2026-03-03/GalleryRP.json",
                p.display()
            );
            Some(p)
        }
        _ => {
            // Straight to stderr: the test harness captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "skipping: GALLERY_EMULATOR_SPEC_DIR is not set ({test} did not run; point it at the azure-spec folder, e.g. ../shared/reference/azure-spec)"
            );
            None
        }
    }
}
