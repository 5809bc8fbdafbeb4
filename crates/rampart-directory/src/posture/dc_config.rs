//! What a DC's own configuration says and the directory does not: LDAP signing and channel
//! binding, SMB signing, NTLMv1, the print spooler. These live in the registry or GPOs of each
//! DC (or in `smb.conf` on Samba), so posture checks read them from an optional input instead
//! of guessing; a setting nobody supplied is "unknown" and its check is not applicable.
//!
//! Two forms are read, told apart by content:
//! * Rampart's own TOML, one `[[dc]]` table per DC (every setting optional):
//!   ```toml
//!   [[dc]]
//!   name = "DC1"
//!   ldap_signing_required = false
//!   ldap_channel_binding = "never"      # never | when_supported | always
//!   smb_signing_required = true
//!   ntlmv1_allowed = false
//!   print_spooler_running = false
//!
//!   [[ca]]                              # AD CS web enrolment, for ESC8
//!   name = "CORP-CA"                    # the CA's name or its host's
//!   web_enrollment = true
//!   https_only = false
//!   extended_protection = false
//!   ```
//! * A Samba AD DC's `smb.conf` (`[global]` section, `include =` files followed), mapped with
//!   Samba's defaults where the file is silent.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Largest configuration file read; a DC's settings are a few kilobytes.
const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// Deepest `include =` chain followed (Samba itself stops at a loop, not at a depth).
const MAX_INCLUDE_DEPTH: usize = 8;

/// The DC settings supplied to an assessment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcConfig {
    #[serde(default, rename = "dc")]
    pub dcs: Vec<DcSettings>,
    /// Enterprise CAs' web enrolment settings (`[[ca]]` tables), for ESC8.
    #[serde(default, rename = "ca", skip_serializing_if = "Vec::is_empty")]
    pub cas: Vec<CaSettings>,
}

/// One enterprise CA's HTTP enrolment endpoints (certsrv web enrolment, the Certificate
/// Enrollment Web Service), as IIS on the CA host serves them; `None` is "not known".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaSettings {
    /// The CA's name (its `cn`) or its host's name, compared case-insensitively (host names by
    /// their first DNS label).
    pub name: String,
    /// Whether an HTTP enrolment endpoint is installed and running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_enrollment: Option<bool>,
    /// Whether the endpoints answer on HTTPS only (no plain-HTTP binding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_only: Option<bool>,
    /// Whether IIS requires Extended Protection for Authentication (channel binding) on them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_protection: Option<bool>,
}

/// One DC's security-relevant settings; `None` is "not known".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcSettings {
    /// The DC's NetBIOS or DNS name, matched against the directory's DCs case-insensitively.
    pub name: String,
    /// Where the values came from (the file, and "default" for values Samba assumes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ldap_signing_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ldap_channel_binding: Option<ChannelBinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smb_signing_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntlmv1_allowed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub print_spooler_running: Option<bool>,
}

/// `LdapEnforceChannelBinding`: 0 never, 1 when supported, 2 always.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelBinding {
    Never,
    WhenSupported,
    Always,
}

#[derive(Debug, thiserror::Error)]
pub enum DcConfigError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: larger than {MAX_CONFIG_BYTES} bytes; not a DC configuration")]
    TooLarge { path: PathBuf },
    #[error("{path}: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("{path}: line {line}: {message}")]
    SmbConf {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "{path}: no `netbios name` in [global]; cannot tell which DC this smb.conf configures"
    )]
    SmbConfNoName { path: PathBuf },
}

impl DcConfig {
    /// Reads Rampart's TOML or a Samba `smb.conf`, whichever the file is.
    pub fn load(path: &Path) -> Result<DcConfig, DcConfigError> {
        let text = read_bounded(path)?;
        if looks_like_smb_conf(&text) {
            let settings = samba::from_smb_conf(path, &text)?;
            return Ok(DcConfig {
                dcs: vec![settings],
                cas: Vec::new(),
            });
        }
        toml::from_str(&text).map_err(|e| DcConfigError::Toml {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// The settings of the DC called `name` (NetBIOS name, FQDN, or a computer's
    /// `sAMAccountName` with its `$`), compared by the first DNS label.
    pub fn for_dc(&self, name: &str) -> Option<&DcSettings> {
        let key = short_name(name);
        self.dcs.iter().find(|d| short_name(&d.name) == key)
    }
}

/// `DC1$`, `dc1.rampart.lab` and `DC1` are one machine.
pub fn short_name(name: &str) -> String {
    let n = name.trim();
    let n = n.strip_suffix('$').unwrap_or(n);
    n.split('.').next().unwrap_or(n).to_ascii_lowercase()
}

fn read_bounded(path: &Path) -> Result<String, DcConfigError> {
    let io = |source| DcConfigError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(DcConfigError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    // smb.conf is often Latin-1 or carries stray bytes in comments; settings are ASCII.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Our TOML has `[[dc]]` tables; an smb.conf has a `[global]` section (TOML would allow one,
/// but not with Samba's `key = value` lines of unquoted words).
fn looks_like_smb_conf(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .any(|l| l.eq_ignore_ascii_case("[global]"))
}

mod samba {
    use super::*;

    /// Normalises a parameter name as Samba does: case and white space do not matter.
    fn key(raw: &str) -> String {
        raw.chars()
            .filter(|c| !c.is_whitespace() && *c != '_')
            .flat_map(char::to_lowercase)
            .collect()
    }

    /// The `[global]` parameters of a file and its includes, later values winning.
    fn globals(
        path: &Path,
        text: &str,
        depth: usize,
        seen: &mut Vec<PathBuf>,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), DcConfigError> {
        let mut in_global = true; // parameters before any section are global
        let mut pending = String::new();
        let mut pending_line = 0;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let mut line = raw.trim_end().to_string();
            if pending.is_empty() {
                pending_line = line_no;
            }
            if let Some(cont) = line.strip_suffix('\\') {
                pending.push_str(cont);
                continue;
            }
            if !pending.is_empty() {
                pending.push_str(&line);
                line = std::mem::take(&mut pending);
            }
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
                continue;
            }
            if let Some(section) = l.strip_prefix('[') {
                let name = section.trim_end_matches(']').trim();
                in_global = name.eq_ignore_ascii_case("global");
                continue;
            }
            if !in_global {
                continue;
            }
            let Some((k, v)) = l.split_once('=') else {
                return Err(DcConfigError::SmbConf {
                    path: path.to_path_buf(),
                    line: pending_line,
                    message: format!("not a `name = value` line: {l:?}"),
                });
            };
            let (k, v) = (key(k), v.trim().to_string());
            if k == "include" {
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(DcConfigError::SmbConf {
                        path: path.to_path_buf(),
                        line: pending_line,
                        message: format!("includes nested deeper than {MAX_INCLUDE_DEPTH}"),
                    });
                }
                let target = Path::new(&v);
                let target = if target.is_absolute() {
                    target.to_path_buf()
                } else {
                    path.parent().unwrap_or(Path::new(".")).join(target)
                };
                if seen.contains(&target) {
                    continue;
                }
                seen.push(target.clone());
                let included = read_bounded(&target)?;
                globals(&target, &included, depth + 1, seen, out)?;
                continue;
            }
            out.push((k, v));
        }
        Ok(())
    }

    fn truthy(v: &str) -> Option<bool> {
        match v.to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" | "on" => Some(true),
            "no" | "false" | "0" | "off" => Some(false),
            _ => None,
        }
    }

    pub(super) fn from_smb_conf(path: &Path, text: &str) -> Result<DcSettings, DcConfigError> {
        let mut params = Vec::new();
        let mut seen = vec![path.to_path_buf()];
        globals(path, text, 0, &mut seen, &mut params)?;
        let get = |name: &str| {
            let k = key(name);
            params
                .iter()
                .rev()
                .find(|(pk, _)| *pk == k)
                .map(|(_, v)| v.as_str())
        };
        let name = get("netbios name").map(str::to_string).ok_or_else(|| {
            DcConfigError::SmbConfNoName {
                path: path.to_path_buf(),
            }
        })?;
        let is_ad_dc = get("server role").is_some_and(|r| {
            let r = r.to_ascii_lowercase();
            r.contains("active directory domain controller") || r == "dc"
        });
        let mut defaults = Vec::new();

        // Samba 4.4 and later refuse simple binds without TLS and unsigned SASL binds unless
        // this says `no`; `allow_sasl_over_tls` still requires integrity outside TLS.
        let ldap_signing_required = match get("ldap server require strong auth") {
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "no" | "false" | "off" | "0" => Some(false),
                "allow_sasl_over_tls" | "yes" | "true" | "on" | "1" => Some(true),
                _ => None,
            },
            None => {
                defaults.push("ldap server require strong auth");
                Some(true)
            }
        };
        // `default` is mandatory on an AD DC and "auto" elsewhere.
        let smb_signing_required = match get("server signing").map(str::to_ascii_lowercase) {
            Some(v) => match v.as_str() {
                "mandatory" | "required" | "forced" | "yes" | "true" | "on" => Some(true),
                "auto" | "desired" | "if_required" | "disabled" | "off" | "no" | "false" => {
                    Some(false)
                }
                "default" => Some(is_ad_dc),
                _ => None,
            },
            None if is_ad_dc => {
                defaults.push("server signing");
                Some(true)
            }
            None => None,
        };
        // Since Samba 4.5 the default is `ntlmv2-only`.
        let ntlmv1_allowed = match get("ntlm auth").map(str::to_ascii_lowercase) {
            Some(v) => match v.as_str() {
                "yes" | "true" | "ntlmv1-permitted" => Some(true),
                "no" | "false" | "ntlmv2-only" | "mschapv2-and-ntlmv2-only" | "disabled" => {
                    Some(false)
                }
                _ => None,
            },
            None => {
                defaults.push("ntlm auth");
                Some(false)
            }
        };
        // Samba serves spoolss unless told not to; whether that makes a DC coercible the way
        // the Windows spooler is has not been established, so only "off" is a known value.
        let spoolss_disabled = get("disable spoolss").and_then(truthy) == Some(true)
            || get("rpc_server:spoolss").is_some_and(|v| v.eq_ignore_ascii_case("disabled"));
        let print_spooler_running = spoolss_disabled.then_some(false);

        let mut source = format!("smb.conf {}", path.display());
        if !defaults.is_empty() {
            source.push_str(&format!(" (Samba defaults for: {})", defaults.join(", ")));
        }
        Ok(DcSettings {
            name,
            source: Some(source),
            ldap_signing_required,
            ldap_channel_binding: None,
            smb_signing_required,
            ntlmv1_allowed,
            print_spooler_running,
        })
    }
}

/// Judges one DC setting over the supplied configuration: `judge` returns `None` when the DC's
/// value is unknown, `Some(Some(why))` for a weak value. Not applicable without configuration
/// or when no DC's value is known; DCs of the directory the configuration does not cover are
/// named in the reason.
pub(crate) fn judge_dcs(
    dir: &crate::model::Directory,
    cx: &super::PostureContext,
    setting: &str,
    judge: impl Fn(&DcSettings) -> Option<Option<String>>,
) -> super::CheckResult {
    let Some(cfg) = &cx.dc_config else {
        return super::CheckResult::not_applicable(format!(
            "{setting} is DC configuration, not in the directory; supply it with --dc-config"
        ));
    };
    let mut known = 0;
    let mut out = Vec::new();
    for s in &cfg.dcs {
        let Some(verdict) = judge(s) else { continue };
        known += 1;
        if let Some(why) = verdict {
            let dn = dir
                .computers
                .iter()
                .find(|c| {
                    c.is_domain_controller()
                        && (short_name(&c.sam_account_name) == short_name(&s.name)
                            || c.dns_host_name.as_deref().map(short_name)
                                == Some(short_name(&s.name)))
                })
                .map(|c| c.dn.clone());
            let source = s
                .source
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            out.push(super::Affected::new(
                &s.name,
                dn.as_deref(),
                format!("{why}{source}"),
            ));
        }
    }
    if known == 0 {
        return super::CheckResult::not_applicable(format!(
            "the DC configuration does not say {setting}"
        ));
    }
    let uncovered: Vec<&str> = dir
        .computers
        .iter()
        .filter(|c| c.is_domain_controller() && cfg.for_dc(&c.sam_account_name).is_none())
        .map(|c| c.sam_account_name.as_str())
        .collect();
    let result = super::CheckResult::from_affected(out);
    if uncovered.is_empty() {
        result
    } else {
        result.with_reason(format!(
            "no configuration supplied for {}",
            uncovered.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn toml_settings_are_read_and_unknown_keys_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "dcs.toml",
            "[[dc]]\nname = \"DC1\"\nldap_signing_required = false\nldap_channel_binding = \"when_supported\"\n",
        );
        let cfg = DcConfig::load(&p).unwrap();
        let dc = cfg.for_dc("dc1.rampart.lab").unwrap();
        assert_eq!(dc.ldap_signing_required, Some(false));
        assert_eq!(dc.ldap_channel_binding, Some(ChannelBinding::WhenSupported));
        assert_eq!(dc.smb_signing_required, None);
        assert!(cfg.for_dc("DC1$").is_some());
        assert!(cfg.for_dc("DC2").is_none());

        let bad = write(
            dir.path(),
            "bad.toml",
            "[[dc]]\nname = \"DC1\"\nldap_sign = 1\n",
        );
        let e = DcConfig::load(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.toml") && e.contains("ldap_sign"), "{e}");
    }

    #[test]
    fn smb_conf_with_include_and_samba_defaults() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "lab.conf",
            "[global]\n  ldap server require strong auth = no\n",
        );
        let p = write(
            dir.path(),
            "smb.conf",
            "# Global parameters\n[global]\n\tnetbios name = DC1\n\tserver role = active directory domain controller\n\tinclude = lab.conf\n\n[sysvol]\n\tpath = /x\n\tntlm auth = yes\n",
        );
        let cfg = DcConfig::load(&p).unwrap();
        let dc = cfg.for_dc("DC1").unwrap();
        assert_eq!(dc.ldap_signing_required, Some(false));
        assert_eq!(dc.smb_signing_required, Some(true), "AD DC default");
        assert_eq!(
            dc.ntlmv1_allowed,
            Some(false),
            "share sections do not count"
        );
        assert_eq!(dc.print_spooler_running, None);
        assert!(dc.source.as_deref().unwrap().contains("defaults"));
    }

    #[test]
    fn smb_conf_explicit_weak_values_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "smb.conf",
            "[global]\nNetBIOS Name = DC2\nserver signing = auto\nntlm_auth = ntlmv1-permitted\ndisable spoolss = yes\n",
        );
        let dc = DcConfig::load(&p).unwrap().dcs.remove(0);
        assert_eq!(dc.name, "DC2");
        assert_eq!(dc.smb_signing_required, Some(false));
        assert_eq!(dc.ntlmv1_allowed, Some(true));
        assert_eq!(dc.print_spooler_running, Some(false));
        assert_eq!(dc.ldap_signing_required, Some(true));

        let p = write(
            dir.path(),
            "noname.conf",
            "[global]\nserver signing = auto\n",
        );
        assert!(matches!(
            DcConfig::load(&p),
            Err(DcConfigError::SmbConfNoName { .. })
        ));
        let p = write(
            dir.path(),
            "junk.conf",
            "[global]\nnetbios name = X\njunk\n",
        );
        let e = DcConfig::load(&p).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
        let p = write(
            dir.path(),
            "loop.conf",
            "[global]\nnetbios name = X\ninclude = loop.conf\n",
        );
        assert!(
            DcConfig::load(&p).is_ok(),
            "an include loop is followed once"
        );
        let e = DcConfig::load(&dir.path().join("missing.toml")).unwrap_err();
        assert!(e.to_string().contains("missing.toml"));
    }
}
