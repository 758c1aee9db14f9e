//! What a component is built as, and which protocol family a flow speaks: the two vocabularies
//! the threat rules look at. Both are small and closed on purpose, so that a rule written for
//! `database` matches every team's database and a typo is reported instead of matching nothing.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident = $text:literal : $help:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $( $variant ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }

            /// One line saying what the word covers, for the README, forms and `--help`.
            pub fn help(self) -> &'static str {
                match self {
                    $( $name::$variant => $help ),+
                }
            }

            /// The exact word, ignoring case and surrounding space.
            pub fn parse(text: &str) -> Option<$name> {
                let text = text.trim();
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(text))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// A component's technology. Chosen so that each word changes which threats apply: two
    /// technologies that would get the same rules are one word.
    Technology {
        Browser = "browser": "a web browser running the team's front end",
        MobileApp = "mobile-app": "an app on a phone or tablet",
        DesktopApp = "desktop-app": "an installed desktop or command-line client",
        IotDevice = "iot-device": "a device in the field: sensor, kiosk, embedded controller",
        WebApp = "web-app": "server-side web application that renders pages or serves a front end",
        Api = "api": "a service exposing an HTTP, gRPC or similar API",
        ApiGateway = "api-gateway": "routes and authenticates API calls for services behind it",
        WebServer = "web-server": "serves static files or proxies to an application server",
        LoadBalancer = "load-balancer": "spreads connections over instances",
        ReverseProxy = "reverse-proxy": "terminates connections in front of services",
        Waf = "waf": "web application firewall",
        DnsService = "dns-service": "a DNS zone or resolver, and the registrar account behind a domain",
        IdentityProvider = "identity-provider": "issues identities and tokens (OIDC, SAML, LDAP)",
        SecretsVault = "secrets-vault": "holds keys, passwords and certificates",
        Database = "database": "SQL or NoSQL database",
        ObjectStorage = "object-storage": "bucket or blob storage",
        FileStorage = "file-storage": "file share or local files",
        Cache = "cache": "in-memory cache or session store",
        MessageQueue = "message-queue": "queue, broker or event stream",
        SearchIndex = "search-index": "full-text or vector search engine",
        LogStore = "log-store": "where logs and audit trails are kept",
        Monitoring = "monitoring": "metrics, tracing, alerting",
        Llm = "llm": "a large language model or an agent built on one",
        MlModel = "ml-model": "a trained model that scores or classifies input",
        CiPipeline = "ci-pipeline": "builds, tests and deploys the software",
        SourceRepository = "source-repository": "where the code lives",
        ArtifactRegistry = "artifact-registry": "container images and packages",
        ContainerPlatform = "container-platform": "runs containers (Kubernetes, ECS, Nomad)",
        ServerlessFunction = "serverless-function": "code run on demand by a cloud platform",
        BatchJob = "batch-job": "scheduled or offline processing",
        EmailOrSmsProvider = "email-or-sms-provider": "sends mail, SMS or push messages",
        PaymentProvider = "payment-provider": "a payment service provider",
        ThirdPartyService = "third-party-service": "another organisation's service",
        User = "user": "a person",
    }
}

vocabulary! {
    /// A flow's protocol family, recognised from the free-text protocol of the flow.
    ProtocolFamily {
        Http = "http": "plain HTTP",
        Https = "https": "HTTP over TLS",
        Grpc = "grpc": "gRPC",
        Websocket = "websocket": "WebSocket (ws, wss)",
        Graphql = "graphql": "GraphQL over HTTP",
        Sql = "sql": "a SQL database protocol (Postgres, MySQL, JDBC...)",
        Nosql = "nosql": "a NoSQL store protocol (MongoDB, Redis, DynamoDB...)",
        Messaging = "messaging": "AMQP, Kafka, MQTT, SQS and other brokers",
        Smtp = "smtp": "mail transfer",
        Ssh = "ssh": "SSH sessions",
        Ldap = "ldap": "LDAP directory access",
        FileTransfer = "file-transfer": "FTP, SFTP, SCP, SMB, NFS, rsync",
        Dns = "dns": "DNS",
        Tcp = "tcp": "a raw TCP or UDP socket",
    }
}

impl ProtocolFamily {
    /// The family of a flow's free-text protocol (`"HTTPS/JSON"`, `"postgres"`, `"Kafka topic"`),
    /// or `None` when nothing in it is recognised. The first recognised word wins, so `"gRPC
    /// over TLS"` is gRPC.
    pub fn recognise(protocol: &str) -> Option<ProtocolFamily> {
        protocol
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
            .filter(|w| !w.is_empty())
            .find_map(family_of_word_any_case)
    }

    /// Whether the protocol itself encrypts (TLS or SSH underneath).
    pub fn is_encrypted(self) -> bool {
        matches!(self, ProtocolFamily::Https | ProtocolFamily::Ssh)
    }

    /// Whether requests on this family carry web payloads a server parses (the web attack
    /// rules look at these).
    pub fn is_web(self) -> bool {
        matches!(
            self,
            ProtocolFamily::Http
                | ProtocolFamily::Https
                | ProtocolFamily::Grpc
                | ProtocolFamily::Websocket
                | ProtocolFamily::Graphql
        )
    }
}

/// Words longer than this name no family.
const LONGEST_FAMILY_WORD: usize = 16;

/// [`family_of_word`] of `word` lowercased, without allocating: every flow's protocol is
/// recognised once per analysis.
fn family_of_word_any_case(word: &str) -> Option<ProtocolFamily> {
    let mut lower = [0u8; LONGEST_FAMILY_WORD];
    let lower = lower.get_mut(..word.len())?;
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    family_of_word(std::str::from_utf8(lower).ok()?)
}

fn family_of_word(word: &str) -> Option<ProtocolFamily> {
    use ProtocolFamily::*;
    Some(match word {
        "http" | "http1" | "http1.1" | "http2" | "rest" | "json" | "xml" | "soap" => Http,
        "https" | "h2" | "http3" | "quic" | "webhook" | "webhooks" => Https,
        "grpc" | "grpcs" | "protobuf" => Grpc,
        "ws" | "wss" | "websocket" | "websockets" => Websocket,
        "graphql" => Graphql,
        "sql" | "jdbc" | "odbc" | "postgres" | "postgresql" | "psql" | "mysql" | "mariadb"
        | "tds" | "mssql" | "oracle" | "sqlite" | "tsql" => Sql,
        "mongodb" | "mongo" | "redis" | "resp" | "dynamodb" | "cassandra" | "cql" | "couchdb"
        | "memcached" | "nosql" | "elasticsearch" | "opensearch" => Nosql,
        "amqp" | "amqps" | "kafka" | "mqtt" | "mqtts" | "sqs" | "sns" | "nats" | "rabbitmq"
        | "pubsub" | "stomp" | "kinesis" | "jms" | "eventbridge" => Messaging,
        "smtp" | "smtps" | "esmtp" | "imap" | "pop3" => Smtp,
        "ssh" => Ssh,
        "ldap" | "ldaps" => Ldap,
        "ftp" | "ftps" | "sftp" | "scp" | "smb" | "cifs" | "nfs" | "rsync" | "webdav" => {
            FileTransfer
        }
        "dns" | "doh" | "dot" => Dns,
        "tcp" | "udp" | "tls" | "socket" => Tcp,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_family_word_is_too_long_to_be_recognised() {
        for word in ["elasticsearch", "eventbridge", "websockets", "postgresql"] {
            assert!(word.len() <= LONGEST_FAMILY_WORD);
            assert!(
                family_of_word_any_case(&word.to_uppercase()).is_some(),
                "{word}"
            );
        }
        assert_eq!(
            family_of_word_any_case(&"x".repeat(LONGEST_FAMILY_WORD + 1)),
            None
        );
        assert_eq!(family_of_word_any_case("ÉLASTIC"), None);
    }

    #[test]
    fn protocols_are_recognised_by_their_first_known_word() {
        let family = |p| ProtocolFamily::recognise(p).map(ProtocolFamily::as_str);
        assert_eq!(family("HTTPS/JSON"), Some("https"));
        assert_eq!(family("https"), Some("https"));
        assert_eq!(family("REST over HTTP"), Some("http"));
        assert_eq!(family("gRPC over TLS"), Some("grpc"));
        assert_eq!(family("PostgreSQL wire"), Some("sql"));
        assert_eq!(family("Kafka topic orders"), Some("messaging"));
        assert_eq!(family("SFTP drop"), Some("file-transfer"));
        assert_eq!(family("LDAPS"), Some("ldap"));
        assert_eq!(family("wss"), Some("websocket"));
        assert_eq!(family("carrier pigeon"), None);
        assert_eq!(family(""), None);
    }

    #[test]
    fn vocabulary_words_round_trip_and_are_unique() {
        for t in Technology::ALL {
            assert_eq!(Technology::parse(t.as_str()), Some(*t));
            assert!(!t.help().is_empty());
        }
        let mut words: Vec<_> = Technology::ALL.iter().map(|t| t.as_str()).collect();
        words.sort();
        words.dedup();
        assert_eq!(words.len(), Technology::ALL.len());
        assert_eq!(Technology::parse(" Database "), Some(Technology::Database));
        assert_eq!(Technology::parse("databse"), None);
        assert_eq!(
            Technology::parse("dns-service"),
            Some(Technology::DnsService)
        );
        for p in ProtocolFamily::ALL {
            assert_eq!(ProtocolFamily::parse(p.as_str()), Some(*p));
        }
    }
}
