//! A person's access to a repository, as forges report it and the
//! configuration requires it for commands.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A person's access to the repository, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    None,
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl FromStr for Permission {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "none" => Permission::None,
            "read" | "pull" => Permission::Read,
            "triage" => Permission::Triage,
            "write" | "push" => Permission::Write,
            "maintain" => Permission::Maintain,
            "admin" => Permission::Admin,
            other => return Err(format!("`{other}` is not a permission level")),
        })
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Permission::None => "none",
            Permission::Read => "read",
            Permission::Triage => "triage",
            Permission::Write => "write",
            Permission::Maintain => "maintain",
            Permission::Admin => "admin",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_order_and_parse() {
        assert!(Permission::Admin > Permission::Write && Permission::Write > Permission::Triage);
        assert_eq!("push".parse::<Permission>().unwrap(), Permission::Write);
        assert_eq!(
            "maintain".parse::<Permission>().unwrap(),
            Permission::Maintain
        );
        assert!("owner".parse::<Permission>().is_err());
        assert_eq!(Permission::Triage.to_string(), "triage");
    }
}
