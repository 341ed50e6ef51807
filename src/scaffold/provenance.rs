//! Where a generated file came from: every file `skill new` writes starts
//! with a header naming the patchwright version, the template and its
//! content hash, the arguments, and the hash of what was written below the
//! header. `skill regenerate` rewrites a file only while that last hash
//! still matches, so a file someone has edited is never overwritten.

use serde::{Deserialize, Serialize};

use crate::vocab::hash::content_hash;

const MARKER: &str = "patchwright-generated: ";

/// What the header records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The patchwright version that wrote the file.
    pub version: String,
    /// The command and its arguments, e.g. `["skill", "new", "no-unwrap", "…"]`.
    pub args: Vec<String>,
    /// The template the file was made from, and its content hash.
    pub template: String,
    pub template_hash: String,
    /// The hash of the file's text below the header, as written.
    pub content_hash: String,
}

/// How comments start in the file, by its name.
fn comment_prefix(path: &str) -> &'static str {
    if path.ends_with(".rs") { "//" } else { "#" }
}

/// `body` with a header recording where it came from.
pub fn stamp(
    path: &str,
    body: &str,
    version: &str,
    args: &[String],
    template: &str,
    template_text: &str,
) -> String {
    let provenance = Provenance {
        version: version.to_owned(),
        args: args.to_vec(),
        template: template.to_owned(),
        template_hash: content_hash(template_text.as_bytes()),
        content_hash: content_hash(body.as_bytes()),
    };
    let prefix = comment_prefix(path);
    // Serializing plain strings cannot fail.
    let json = serde_json::to_string(&provenance).unwrap_or_default();
    let name = args.get(2).map_or("", String::as_str);
    format!(
        "{prefix} {MARKER}{json}\n{prefix} Written by `patchwright skill new`; `patchwright skill regenerate {name}` rewrites it from its template until it is edited.\n{body}"
    )
}

/// A file split into its header (if it has one) and the text below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped<'a> {
    pub provenance: Option<Provenance>,
    pub body: &'a str,
}

impl Stamped<'_> {
    /// Whether the text below the header is still what was generated.
    pub fn untouched(&self) -> bool {
        self.provenance
            .as_ref()
            .is_some_and(|p| p.content_hash == content_hash(self.body.as_bytes()))
    }
}

/// Reads the header of a generated file; text without one is all body.
pub fn split<'a>(path: &str, text: &'a str) -> Stamped<'a> {
    let prefix = comment_prefix(path);
    let lead = format!("{prefix} {MARKER}");
    let not_stamped = Stamped {
        provenance: None,
        body: text,
    };
    let Some(rest) = text.strip_prefix(&lead) else {
        return not_stamped;
    };
    let Some((json, rest)) = rest.split_once('\n') else {
        return not_stamped;
    };
    let Ok(provenance) = serde_json::from_str::<Provenance>(json) else {
        return not_stamped;
    };
    // The second, human line goes with the header.
    let body = match rest.split_once('\n') {
        Some((line, body)) if line.starts_with(&format!("{prefix} Written by `patchwright")) => {
            body
        }
        _ => rest,
    };
    Stamped {
        provenance: Some(provenance),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> Vec<String> {
        ["skill", "new", "no-unwrap", "calls to \"unwrap\""]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn a_stamped_file_splits_back_into_its_header_and_body() {
        let body = "pub fn f() {}\n";
        let text = stamp(
            "src/engine/skills/no_unwrap.rs",
            body,
            "1.2.3",
            &args(),
            "templates/skill.rs",
            "template text",
        );
        insta::assert_snapshot!(text, @r#"
        // patchwright-generated: {"version":"1.2.3","args":["skill","new","no-unwrap","calls to \"unwrap\""],"template":"templates/skill.rs","template_hash":"4bb92695a4cdbaba","content_hash":"16c2fca9e3719364"}
        // Written by `patchwright skill new`; `patchwright skill regenerate no-unwrap` rewrites it from its template until it is edited.
        pub fn f() {}
        "#);
        let split = split("src/engine/skills/no_unwrap.rs", &text);
        assert_eq!(split.body, body);
        assert!(split.untouched());
        let p = split.provenance.unwrap();
        assert_eq!(p.args, args());
        assert_eq!(p.template_hash, content_hash(b"template text"));
    }

    #[test]
    fn an_edit_below_the_header_is_noticed() {
        let text = stamp("findings.txt", "2:5  a\n", "1.2.3", &args(), "t", "t");
        assert!(text.starts_with("# patchwright-generated: "));
        let edited = text.replace("2:5", "3:5");
        let split = split("findings.txt", &edited);
        assert!(split.provenance.is_some());
        assert!(!split.untouched());
    }

    #[test]
    fn text_without_a_header_is_all_body() {
        for text in [
            "fn f() {}\n",
            "// patchwright-generated: not json\nfn f() {}\n",
            "// patchwright-generated: {}",
        ] {
            let split = split("a.rs", text);
            assert_eq!(split.provenance, None);
            assert_eq!(split.body, text);
            assert!(!split.untouched());
        }
    }
}
