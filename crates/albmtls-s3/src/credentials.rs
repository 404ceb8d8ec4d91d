//! Where this run's AWS credentials come from, read from the environment and the AWS
//! config files the way the SDK's default chain reads them, so that a failure to get
//! them can say what to do: `aws sso login`, fix the credential_process, check STS.
//!
//! This only describes; the SDK's own providers resolve the credentials.

use std::borrow::Cow;

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

/// What the default credential chain will use, as far as the configuration tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CredentialSource {
    /// Keys given to albmtls directly.
    Explicit,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    Environment,
    /// A profile of the config or credentials file.
    Profile { name: String, kind: ProfileKind },
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN` (IRSA on EKS).
    WebIdentity { role: String },
    /// The ECS, AWS Batch or EKS Pod Identity credentials endpoint.
    Container,
    /// Nothing configured: the EC2 instance profile (IMDSv2), if there is one.
    InstanceOrNothing,
}

/// How a profile gets its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProfileKind {
    /// IAM Identity Center (`sso_session` or `sso_start_url`).
    Sso,
    /// An `aws login` console session (`login_session`).
    Login,
    /// `credential_process` (aws-vault, granted, ...).
    Process,
    /// `role_arn` with `web_identity_token_file`.
    WebIdentity { role: String },
    /// `role_arn` assumed from another profile or source.
    AssumeRole { role: String },
    /// Keys in the profile.
    Keys,
}

impl CredentialSource {
    /// Reads the environment and the AWS config files. `profile` is `--profile`, which
    /// comes before keys in the environment; the SDK's own rules pick `AWS_PROFILE` or
    /// `default` otherwise, after them.
    pub(crate) async fn detect(profile: Option<&str>, explicit: bool) -> CredentialSource {
        if explicit {
            return CredentialSource::Explicit;
        }
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if profile.is_none() && env("AWS_ACCESS_KEY_ID").is_some() && env("AWS_SECRET_ACCESS_KEY").is_some() {
            return CredentialSource::Environment;
        }
        let override_name = profile.map(|p| Cow::Owned(p.to_owned()));
        if let Ok(profiles) = aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), override_name).await {
            let name = profiles.selected_profile().to_owned();
            if let Some(kind) = profiles.get_profile(&name).and_then(|p| profile_kind(|key| p.get(key))) {
                return CredentialSource::Profile { name, kind };
            }
        }
        if let (Some(_), Some(role)) = (env("AWS_WEB_IDENTITY_TOKEN_FILE"), env("AWS_ROLE_ARN")) {
            return CredentialSource::WebIdentity { role };
        }
        if env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some() || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some() {
            return CredentialSource::Container;
        }
        CredentialSource::InstanceOrNothing
    }

    /// What went wrong and what to do, given the provider's own `detail`.
    pub(crate) fn explain(&self, detail: &str) -> String {
        match self {
            CredentialSource::Profile { name, kind: ProfileKind::Sso } => format!(
                "profile `{name}` signs in with IAM Identity Center and has no valid login ({detail}): run `aws sso login --profile {name}`"
            ),
            CredentialSource::Profile { name, kind: ProfileKind::Login } => {
                format!(
                    "profile `{name}` uses an `aws login` session that is missing or expired ({detail}): run `aws login --profile {name}`"
                )
            }
            CredentialSource::Profile { name, kind: ProfileKind::Process } => format!(
                "the credential_process of profile `{name}` failed ({detail}): run the command in the profile by hand to see why (is its vault unlocked?)"
            ),
            CredentialSource::Profile { name, kind: ProfileKind::WebIdentity { role } } => format!(
                "profile `{name}` could not assume role {role} with its web identity token ({detail}): check that the token file is readable and current, that STS is reachable (AWS_ENDPOINT_URL_STS, proxies), and that the role trusts the identity provider"
            ),
            CredentialSource::WebIdentity { role } => format!(
                "assuming role {role} with the web identity token in AWS_WEB_IDENTITY_TOKEN_FILE failed ({detail}): check that the token file is readable and current, that STS is reachable (AWS_ENDPOINT_URL_STS, proxies), and that the role trusts the identity provider (for EKS: the service account's IRSA annotation)"
            ),
            CredentialSource::Profile { name, kind: ProfileKind::AssumeRole { role } } => format!(
                "profile `{name}` could not assume role {role} ({detail}): check the source profile's credentials and that the role trusts them"
            ),
            CredentialSource::Profile { name, kind: ProfileKind::Keys } => {
                format!(
                    "the keys of profile `{name}` could not be used ({detail}): check the profile in the AWS config and credentials files"
                )
            }
            CredentialSource::Container => format!(
                "the container credentials endpoint failed ({detail}): check the task role (ECS, AWS Batch) or the EKS Pod Identity association"
            ),
            CredentialSource::Explicit | CredentialSource::Environment | CredentialSource::InstanceOrNothing => format!(
                "no usable AWS credentials ({detail}): pass --profile or set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ),
        }
    }
}

/// How a profile with these settings gets credentials, in the SDK's order of precedence
/// (`credential_source`, web identity, SSO, login session, credential_process, keys).
fn profile_kind<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Option<ProfileKind> {
    let role = get("role_arn").map(str::to_owned);
    if let Some(role) = &role {
        if get("web_identity_token_file").is_some() {
            return Some(ProfileKind::WebIdentity { role: role.clone() });
        }
        if get("source_profile").is_some() || get("credential_source").is_some() {
            return Some(ProfileKind::AssumeRole { role: role.clone() });
        }
    }
    if get("sso_session").is_some() || get("sso_start_url").is_some() {
        Some(ProfileKind::Sso)
    } else if get("login_session").is_some() {
        Some(ProfileKind::Login)
    } else if get("credential_process").is_some() {
        Some(ProfileKind::Process)
    } else if get("aws_access_key_id").is_some() {
        Some(ProfileKind::Keys)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(settings: &[(&str, &'static str)]) -> Option<ProfileKind> {
        profile_kind(|key| settings.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
    }

    #[test]
    fn profile_settings_are_read_in_the_sdks_order() {
        let role = "arn:aws:iam::123456789012:role/r";
        assert_eq!(
            kind(&[("role_arn", role), ("web_identity_token_file", "/t"), ("sso_session", "s")]),
            Some(ProfileKind::WebIdentity { role: role.to_owned() })
        );
        assert_eq!(kind(&[("role_arn", role), ("source_profile", "base")]), Some(ProfileKind::AssumeRole { role: role.to_owned() }));
        assert_eq!(kind(&[("sso_session", "s"), ("credential_process", "x")]), Some(ProfileKind::Sso));
        assert_eq!(kind(&[("login_session", "arn:aws:sts::1:assumed-role/x")]), Some(ProfileKind::Login));
        assert_eq!(kind(&[("credential_process", "aws-vault exec x --json")]), Some(ProfileKind::Process));
        assert_eq!(kind(&[("aws_access_key_id", "AKIA")]), Some(ProfileKind::Keys));
        assert_eq!(kind(&[("region", "us-east-1")]), None);
    }

    #[test]
    fn each_source_says_what_to_do() {
        let sso = CredentialSource::Profile { name: "dev".to_owned(), kind: ProfileKind::Sso };
        assert!(sso.explain("failed to load the cached SSO token").ends_with("run `aws sso login --profile dev`"));
        let login = CredentialSource::Profile { name: "ops".to_owned(), kind: ProfileKind::Login };
        assert!(login.explain("x").ends_with("run `aws login --profile ops`"));
        assert!(CredentialSource::Container.explain("x").contains("task role"));
    }
}
