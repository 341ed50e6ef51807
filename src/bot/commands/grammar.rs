//! The slash-command grammar: pure, and tested line by line. A comment is
//! read into [`super::command::Command`]s; what each command does is in
//! [`super::dispatch`].
//!
//! A command is a line that starts with the prefix (`/patchwright`), then a
//! command and its arguments; double quotes group words. Lines in fenced or
//! indented code blocks and in `>` quotes are not commands, so quoting a
//! command in a reply never runs it again; nor is what an HTML comment
//! (`<!-- … -->`) hides from readers, so nothing runs that nobody can see.
//! Several commands in one comment run in order.

use std::fmt;

use super::command::Command;

use crate::store::ledger::CloseKind;
use crate::vocab::ids::Fingerprint;
use crate::vocab::ids::SkillId;
use crate::vocab::rel_path::RelPath;

/// Why a command line could not be read; shown to the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    MissingCommand,
    Unknown {
        word: String,
        suggestion: Option<&'static str>,
    },
    MissingArgument {
        command: &'static str,
        argument: &'static str,
    },
    TooManyArguments {
        command: &'static str,
        extra: String,
    },
    UnbalancedQuotes,
    InvalidSkill {
        name: String,
    },
    InvalidPath {
        path: String,
    },
    InvalidNumber {
        text: String,
    },
    InvalidTarget {
        text: String,
    },
    InvalidChoice {
        command: &'static str,
        given: String,
        choices: &'static str,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::MissingCommand => write!(f, "Say what to do after the prefix."),
            ParseError::Unknown { word, suggestion } => {
                write!(f, "`{word}` is not a command.")?;
                if let Some(s) = suggestion {
                    write!(f, " Did you mean `{s}`?")?;
                }
                Ok(())
            }
            ParseError::MissingArgument { command, argument } => {
                write!(f, "`{command}` needs {argument}.")
            }
            ParseError::TooManyArguments { command, extra } => {
                write!(f, "`{command}` does not take `{extra}`.")
            }
            ParseError::UnbalancedQuotes => write!(f, "A double quote is not closed."),
            ParseError::InvalidSkill { name } => write!(
                f,
                "`{name}` is not a skill name: skill names are lowercase letters, digits and dashes."
            ),
            ParseError::InvalidPath { path } => {
                write!(f, "`{path}` is not a path inside the repository.")
            }
            ParseError::InvalidNumber { text } => {
                write!(f, "`{text}` is not a pull request number.")
            }
            ParseError::InvalidChoice {
                command,
                given,
                choices,
            } => write!(f, "`{command}` takes {choices}, not `{given}`."),
            ParseError::InvalidTarget { text } => write!(
                f,
                "`{text}` is neither a fingerprint (16 hex digits) nor a skill name."
            ),
        }
    }
}

/// One command line found in a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The line as written, for quoting it in the reply.
    pub line: String,
    pub command: Result<Command, ParseError>,
}

/// Every command line of `body`, in order.
pub fn parse_comment(body: &str, prefix: &str) -> Vec<Parsed> {
    command_lines(body, prefix)
        .into_iter()
        .map(|(line, rest)| Parsed {
            line: line.trim().to_owned(),
            command: parse_command(rest),
        })
        .collect()
}

/// The lines that are ours, with the text after the prefix; code blocks,
/// quotes and HTML comments excluded.
fn command_lines<'a>(body: &'a str, prefix: &str) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut hidden = false;
    for line in body.lines() {
        if fence.is_none() {
            // Inside `<!-- … -->`, or a line that opens one: hidden from readers.
            let opens = line.trim_start().starts_with("<!--");
            if hidden || opens {
                let after_open = if opens {
                    line.trim_start().get(4..).unwrap_or("")
                } else {
                    line
                };
                hidden = !after_open.contains("-->");
                continue;
            }
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let trimmed = line.trim_start();
        let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        if let Some(c) = fence_char {
            let run = trimmed.chars().take_while(|x| *x == c).count();
            if run >= 3 && indent < 4 {
                match fence {
                    None => fence = Some((c, run)),
                    Some((open, len))
                        if open == c && run >= len && trimmed[run..].trim().is_empty() =>
                    {
                        fence = None
                    }
                    Some(_) => {}
                }
                continue;
            }
        }
        if fence.is_some() || indent >= 4 || line.starts_with('\t') || trimmed.starts_with('>') {
            continue;
        }
        let Some(rest) = trimmed.strip_prefix(prefix) else {
            continue;
        };
        if rest.is_empty() || rest.starts_with(char::is_whitespace) {
            // A comment at the end of the line is not an argument.
            let visible = rest.find("<!--").map_or(rest, |at| &rest[..at]);
            out.push((line, visible.trim()));
        }
    }
    out
}

/// Splits on whitespace; double quotes group words, `\"` and `\\` escape.
fn words(text: &str) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => match chars.next() {
                Some(escaped @ ('"' | '\\')) => word.push(escaped),
                Some(other) => {
                    word.push('\\');
                    word.push(other);
                }
                None => word.push('\\'),
            },
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return Err(ParseError::UnbalancedQuotes);
    }
    if in_word {
        out.push(word);
    }
    Ok(out)
}

const NAMES: [&str; 16] = [
    "help", "scan", "run", "fix", "rebase", "recreate", "ignore", "ignored", "unignore", "explain",
    "pause", "resume", "stop", "stats", "skill", "revert",
];

fn parse_command(rest: &str) -> Result<Command, ParseError> {
    let words = words(rest)?;
    let Some((name, args)) = words.split_first() else {
        return Err(ParseError::MissingCommand);
    };
    let name = name.to_ascii_lowercase();
    let no_args = |command: &'static str, value: Command| match args.first() {
        None => Ok(value),
        Some(extra) => Err(ParseError::TooManyArguments {
            command,
            extra: extra.clone(),
        }),
    };
    match name.as_str() {
        "help" => no_args("help", Command::Help),
        "scan" => no_args("scan", Command::Scan),
        "run" => no_args("run", Command::Run),
        "rebase" => no_args("rebase", Command::Recreate),
        "recreate" => no_args("recreate", Command::Recreate),
        "stop" => no_args("stop", Command::Stop),
        "stats" => no_args("stats", Command::Stats),
        "fix" => {
            let skill = skill_arg(args.first(), "fix", "a skill")?;
            let path = match args.get(1) {
                Some(p) => Some(
                    p.parse::<RelPath>()
                        .map_err(|_| ParseError::InvalidPath { path: p.clone() })?,
                ),
                None => None,
            };
            match args.get(2) {
                Some(extra) => Err(ParseError::TooManyArguments {
                    command: "fix",
                    extra: extra.clone(),
                }),
                None => Ok(Command::Fix { skill, path }),
            }
        }
        "ignore" => match args {
            [] => Ok(Command::Ignore {
                why: CloseKind::Unwanted,
            }),
            [word] => match word.as_str() {
                "skill" => Ok(Command::IgnoreSkill),
                "wrong" => Ok(Command::Ignore {
                    why: CloseKind::Wrong,
                }),
                "unwanted" => Ok(Command::Ignore {
                    why: CloseKind::Unwanted,
                }),
                "later" => Ok(Command::Ignore {
                    why: CloseKind::Later,
                }),
                other => Err(ParseError::InvalidChoice {
                    command: "ignore",
                    given: other.to_owned(),
                    choices: "`wrong`, `unwanted`, `later` or `skill`",
                }),
            },
            [first, extra, ..] => Err(ParseError::TooManyArguments {
                command: if first == "skill" {
                    "ignore skill"
                } else {
                    "ignore"
                },
                extra: extra.clone(),
            }),
        },
        "explain" => no_args("explain", Command::Explain),
        "ignored" => no_args("ignored", Command::Ignored),
        "unignore" => match args {
            [] => Err(ParseError::MissingArgument {
                command: "unignore",
                argument: "a fingerprint or a skill",
            }),
            [target] => {
                let valid = target.parse::<Fingerprint>().is_ok() || SkillId::new(target).is_ok();
                if valid {
                    Ok(Command::Unignore {
                        target: target.clone(),
                    })
                } else {
                    Err(ParseError::InvalidTarget {
                        text: target.clone(),
                    })
                }
            }
            [_, extra, ..] => Err(ParseError::TooManyArguments {
                command: "unignore",
                extra: extra.clone(),
            }),
        },
        "revert" => match args {
            [] => Ok(Command::Revert { number: None }),
            [n] => match n.trim_start_matches('#').parse::<u64>() {
                Ok(number) if number > 0 => Ok(Command::Revert {
                    number: Some(number),
                }),
                _ => Err(ParseError::InvalidNumber { text: n.clone() }),
            },
            [_, extra, ..] => Err(ParseError::TooManyArguments {
                command: "revert",
                extra: extra.clone(),
            }),
        },
        "pause" => {
            let skill = skill_arg(args.first(), "pause", "a skill")?;
            one_arg("pause", args, Command::Pause { skill })
        }
        "resume" => match args.first() {
            None => Ok(Command::Resume { skill: None }),
            Some(_) => {
                let skill = skill_arg(args.first(), "resume", "a skill")?;
                one_arg("resume", args, Command::Resume { skill: Some(skill) })
            }
        },
        "skill" => match args {
            [] => Err(ParseError::MissingArgument {
                command: "skill",
                argument: "`new <name> \"<description>\"`",
            }),
            [sub, rest @ ..] if sub == "new" => match rest {
                [] => Err(ParseError::MissingArgument {
                    command: "skill new",
                    argument: "a name",
                }),
                [_] => Err(ParseError::MissingArgument {
                    command: "skill new",
                    argument: "a description in double quotes",
                }),
                [name, description] => {
                    if SkillId::new(name).is_err() {
                        return Err(ParseError::InvalidSkill { name: name.clone() });
                    }
                    Ok(Command::SkillNew {
                        name: name.clone(),
                        description: description.clone(),
                    })
                }
                [_, _, extra, ..] => Err(ParseError::TooManyArguments {
                    command: "skill new",
                    extra: extra.clone(),
                }),
            },
            [other, ..] => Err(ParseError::Unknown {
                word: format!("skill {other}"),
                suggestion: Some("skill new"),
            }),
        },
        other => Err(ParseError::Unknown {
            word: other.to_owned(),
            suggestion: suggest(other),
        }),
    }
}

fn skill_arg(
    arg: Option<&String>,
    command: &'static str,
    what: &'static str,
) -> Result<SkillId, ParseError> {
    let name = arg.ok_or(ParseError::MissingArgument {
        command,
        argument: what,
    })?;
    SkillId::new(name).map_err(|_| ParseError::InvalidSkill { name: name.clone() })
}

fn one_arg(command: &'static str, args: &[String], value: Command) -> Result<Command, ParseError> {
    match args.get(1) {
        None => Ok(value),
        Some(extra) => Err(ParseError::TooManyArguments {
            command,
            extra: extra.clone(),
        }),
    }
}

/// The known command closest to a typo, if it is close.
fn suggest(word: &str) -> Option<&'static str> {
    NAMES
        .iter()
        .map(|name| (edit_distance(word, name), *name))
        .filter(|(d, name)| *d <= 2 && *d < name.len())
        .min()
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = current;
        }
    }
    row[b.len()]
}

/// A parse error as the reply says it.
pub fn explain(error: &ParseError, prefix: &str) -> String {
    format!("{error} Say `{prefix} help` for the commands.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_PREFIX;

    fn parse(body: &str) -> Vec<Result<Command, ParseError>> {
        parse_comment(body, DEFAULT_PREFIX)
            .into_iter()
            .map(|p| p.command)
            .collect()
    }

    fn one(line: &str) -> Result<Command, ParseError> {
        let mut all = parse(line);
        assert_eq!(all.len(), 1, "{line}");
        all.remove(0)
    }

    fn skill(id: &str) -> SkillId {
        SkillId::new(id).unwrap()
    }

    #[test]
    fn every_command_parses() {
        assert_eq!(one("/patchwright help"), Ok(Command::Help));
        assert_eq!(one("/patchwright scan"), Ok(Command::Scan));
        assert_eq!(one("/patchwright run"), Ok(Command::Run));
        assert_eq!(
            one("/patchwright fix len-zero"),
            Ok(Command::Fix {
                skill: skill("len-zero"),
                path: None
            })
        );
        assert_eq!(
            one("/patchwright fix len-zero src/parser"),
            Ok(Command::Fix {
                skill: skill("len-zero"),
                path: Some("src/parser".parse().unwrap())
            })
        );
        assert_eq!(one("/patchwright recreate"), Ok(Command::Recreate));
        assert_eq!(one("/patchwright rebase"), Ok(Command::Recreate));
        assert_eq!(
            one("/patchwright ignore"),
            Ok(Command::Ignore {
                why: CloseKind::Unwanted
            })
        );
        assert_eq!(
            one("/patchwright ignore wrong"),
            Ok(Command::Ignore {
                why: CloseKind::Wrong
            })
        );
        assert_eq!(
            one("/patchwright ignore unwanted"),
            Ok(Command::Ignore {
                why: CloseKind::Unwanted
            })
        );
        assert_eq!(
            one("/patchwright ignore later"),
            Ok(Command::Ignore {
                why: CloseKind::Later
            })
        );
        assert_eq!(one("/patchwright explain"), Ok(Command::Explain));
        assert_eq!(one("/patchwright ignored"), Ok(Command::Ignored));
        assert_eq!(
            one("/patchwright unignore len-zero"),
            Ok(Command::Unignore {
                target: "len-zero".into()
            })
        );
        assert_eq!(
            one("/patchwright unignore 0123456789abcdef"),
            Ok(Command::Unignore {
                target: "0123456789abcdef".into()
            })
        );
        assert_eq!(one("/patchwright ignore skill"), Ok(Command::IgnoreSkill));
        assert_eq!(
            one("/patchwright pause derive-debug"),
            Ok(Command::Pause {
                skill: skill("derive-debug")
            })
        );
        assert_eq!(
            one("/patchwright resume derive-debug"),
            Ok(Command::Resume {
                skill: Some(skill("derive-debug"))
            })
        );
        assert_eq!(
            one("/patchwright resume"),
            Ok(Command::Resume { skill: None })
        );
        assert_eq!(one("/patchwright stop"), Ok(Command::Stop));
        assert_eq!(one("/patchwright stats"), Ok(Command::Stats));
        assert_eq!(
            one("/patchwright skill new no-unwrap \"calls to unwrap, and \\\"why\\\"\""),
            Ok(Command::SkillNew {
                name: "no-unwrap".into(),
                description: "calls to unwrap, and \"why\"".into()
            })
        );
        assert_eq!(
            one("/patchwright revert"),
            Ok(Command::Revert { number: None })
        );
        assert_eq!(
            one("/patchwright revert #12"),
            Ok(Command::Revert { number: Some(12) })
        );
        assert_eq!(
            one("/patchwright revert 7"),
            Ok(Command::Revert { number: Some(7) })
        );
        // Every variant `help` knows parses from its own usage line.
        assert_eq!(Command::all().len(), 16);
    }

    #[test]
    fn bad_input_gets_a_sentence() {
        let cases = [
            ("/patchwright", "Say what to do after the prefix."),
            (
                "/patchwright halp",
                "`halp` is not a command. Did you mean `help`?",
            ),
            ("/patchwright deploy", "`deploy` is not a command."),
            ("/patchwright fix", "`fix` needs a skill."),
            ("/patchwright pause", "`pause` needs a skill."),
            (
                "/patchwright fix Len_Zero",
                "`Len_Zero` is not a skill name: skill names are lowercase letters, digits and dashes.",
            ),
            (
                "/patchwright fix len-zero ../../etc",
                "`../../etc` is not a path inside the repository.",
            ),
            (
                "/patchwright fix len-zero /abs",
                "`/abs` is not a path inside the repository.",
            ),
            (
                "/patchwright fix len-zero src extra",
                "`fix` does not take `extra`.",
            ),
            ("/patchwright stop now", "`stop` does not take `now`."),
            (
                "/patchwright ignore everything",
                "`ignore` takes `wrong`, `unwanted`, `later` or `skill`, not `everything`.",
            ),
            (
                "/patchwright ignore wrong now",
                "`ignore` does not take `now`.",
            ),
            (
                "/patchwright unignore",
                "`unignore` needs a fingerprint or a skill.",
            ),
            (
                "/patchwright unignore ../x",
                "`../x` is neither a fingerprint (16 hex digits) nor a skill name.",
            ),
            ("/patchwright unignore a b", "`unignore` does not take `b`."),
            ("/patchwright explain why", "`explain` does not take `why`."),
            ("/patchwright ignored all", "`ignored` does not take `all`."),
            (
                "/patchwright expalin",
                "`expalin` is not a command. Did you mean `explain`?",
            ),
            (
                "/patchwright skill new x-y \"open",
                "A double quote is not closed.",
            ),
            (
                "/patchwright skill new good-name",
                "`skill new` needs a description in double quotes.",
            ),
            ("/patchwright skill new", "`skill new` needs a name."),
            (
                "/patchwright skill old x",
                "`skill old` is not a command. Did you mean `skill new`?",
            ),
            (
                "/patchwright skill new Bad \"d\"",
                "`Bad` is not a skill name: skill names are lowercase letters, digits and dashes.",
            ),
        ];
        for (line, message) in cases {
            let err = one(line).unwrap_err();
            assert_eq!(err.to_string(), message, "{line}");
        }
        assert_eq!(
            explain(&ParseError::MissingCommand, "/patchwright"),
            "Say what to do after the prefix. Say `/patchwright help` for the commands."
        );
    }

    #[test]
    fn only_command_lines_outside_code_and_quotes_count() {
        let body = "Thanks!\n/patchwright pause len-zero\n> /patchwright stop\n```\n/patchwright stop\n```\n~~~~\n/patchwright stop\n~~~\n/patchwright stop\n~~~~\n    /patchwright stop\nsome /patchwright stop inline\n/patchwrightly stop\n  /patchwright   stats  \n";
        let found = parse_comment(body, DEFAULT_PREFIX);
        let lines: Vec<&str> = found.iter().map(|p| p.line.as_str()).collect();
        assert_eq!(
            lines,
            ["/patchwright pause len-zero", "/patchwright   stats"]
        );
        assert_eq!(found[1].command, Ok(Command::Stats));
    }

    #[test]
    fn what_an_html_comment_hides_never_runs() {
        let body = "<!-- /patchwright stop -->\n<!--\n/patchwright stop\n-->\n/patchwright stats <!-- and /patchwright stop -->\n```\n<!--\n```\n/patchwright pause len-zero\n  <!-- one line -->\n/patchwright resume\n";
        let found = parse_comment(body, DEFAULT_PREFIX);
        let commands: Vec<_> = found.iter().map(|p| p.command.clone()).collect();
        assert_eq!(
            commands,
            [
                Ok(Command::Stats),
                Ok(Command::Pause {
                    skill: SkillId::new("len-zero").unwrap()
                }),
                Ok(Command::Resume { skill: None })
            ]
        );
        // An unclosed comment hides the rest, as a browser does.
        assert!(parse_comment("<!-- draft\n/patchwright stop\n", DEFAULT_PREFIX).is_empty());
    }

    #[test]
    fn several_commands_run_in_order_and_case_does_not_matter() {
        assert_eq!(
            parse("/patchwright STOP\r\n/patchwright resume\n/patchwright nope"),
            [
                Ok(Command::Stop),
                Ok(Command::Resume { skill: None }),
                Err(ParseError::Unknown {
                    word: "nope".into(),
                    suggestion: None
                })
            ]
        );
    }

    #[test]
    fn a_custom_prefix() {
        assert_eq!(
            parse_comment("@bot stats\n/patchwright stats", "@bot").len(),
            1
        );
    }
}
