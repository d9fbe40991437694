//! Domain libraries: the community pattern key, and the starter patterns of
//! the `web`, `ml`, `embedded` and `security` communities.
//!
//! # The community pattern key
//!
//! Shared hashes are keyed per community and key epoch
//! ([`CommunityKey`]). The key is derived on the home node from the
//! community's signing secret and the epoch ([`community_pattern_key`]), so
//! it needs no storage of its own and is never in a log. Members obtain it
//! from the home node over an authenticated channel: the node facade hands
//! it only to active members (`commons pattern key`, the control socket, or
//! `GET /api/v1/communities/{id}/patterns/key` with a member's token), and
//! the CLI hashes locally with it, so the home node never sees code. The
//! epoch is part of every fingerprint; hashes of other epochs never match.
//!
//! # Starter patterns
//!
//! Each entry of [`seeds`] is example code written for Commons, fingerprinted
//! on the home node at first start and appended as an accepted pattern. The
//! code itself stays in this binary; only the fingerprint enters the log.

use commons_fingerprint::{CommunityKey, Config, Language, SharedFingerprint};

use crate::records::{Impact, Properties, Severity, SubmitBody};

/// The key epoch new fingerprints are made under.
pub const CURRENT_KEY_EPOCH: u32 = 0;

/// A starter pattern: its metadata and the example code it is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed {
    /// The domain community it belongs to.
    pub domain: &'static str,
    /// Title.
    pub title: &'static str,
    /// What is wrong and what to do instead.
    pub description: &'static str,
    /// Language of the example.
    pub language: Language,
    /// Severity.
    pub severity: Severity,
    /// Category slug.
    pub category: &'static str,
    /// Performance impact.
    pub performance: Impact,
    /// Security impact.
    pub security: Impact,
    /// The example code.
    pub source: &'static str,
}

/// The pattern key of a community for one epoch, derived from the
/// community's signing secret (held by the home node only).
pub fn community_pattern_key(community_secret: &[u8; 32], epoch: u32) -> CommunityKey {
    CommunityKey::new(community_pattern_key_bytes(community_secret, epoch), epoch)
}

/// The 32 bytes of [`community_pattern_key`], to hand to a member.
pub fn community_pattern_key_bytes(community_secret: &[u8; 32], epoch: u32) -> [u8; 32] {
    let mut material = [0u8; 36];
    material[..32].copy_from_slice(community_secret);
    material[32..].copy_from_slice(&epoch.to_le_bytes());
    blake3::derive_key("commons 2026 community pattern key", &material)
}

/// The starter patterns of a domain community.
pub fn seeds(domain: &str) -> impl Iterator<Item = &'static Seed> {
    SEEDS.iter().filter(move |seed| seed.domain == domain)
}

impl Seed {
    /// The submission body for this seed under `key`.
    pub fn submission(&self, key: &CommunityKey) -> Result<SubmitBody, String> {
        let fingerprint = self.fingerprint(key)?;
        Ok(SubmitBody {
            title: self.title.to_owned(),
            description: self.description.to_owned(),
            language: self.language.name().to_owned(),
            properties: Properties {
                severity: self.severity,
                category: self.category.to_owned(),
                performance: self.performance,
                security: self.security,
            },
            fingerprint,
            anonymous: false,
            similar: Vec::new(),
        })
    }

    /// The shared fingerprint of the example under `key`.
    pub fn fingerprint(&self, key: &CommunityKey) -> Result<SharedFingerprint, String> {
        let config = Config::default();
        let local =
            commons_fingerprint::fingerprint(self.language, self.source.as_bytes(), &config)
                .map_err(|e| format!("seed {:?}: {e}", self.title))?;
        let (shared, _) = local
            .export(key, None, &config)
            .map_err(|e| format!("seed {:?}: {e}", self.title))?;
        Ok(shared)
    }
}

/// Every starter pattern.
pub const SEEDS: &[Seed] = &[
    Seed {
        domain: "web",
        title: "SQL built by string concatenation passed to cursor.execute",
        description: "A query is assembled by concatenating or formatting request input into SQL text and \
            handed to cursor.execute. Any quote in the input changes the query (SQL injection). Pass the \
            values as parameters instead: cursor.execute(\"... WHERE name = %s\", (name,)).",
        language: Language::Python,
        severity: Severity::Critical,
        category: "sql-injection",
        performance: Impact::None,
        security: Impact::High,
        source: r#"
def find_user(request, connection):
    name = request.args.get("name")
    cursor = connection.cursor()
    query = "SELECT id, email FROM users WHERE name = '" + name + "' AND active = 1"
    cursor.execute(query)
    rows = cursor.fetchall()
    result = []
    for row in rows:
        result.append({"id": row[0], "email": row[1]})
    return result
"#,
    },
    Seed {
        domain: "web",
        title: "N+1 queries: one ORM query per row of a list",
        description: "A loop over a query's results issues another query per row (here, each order's \
            customer). With n rows this makes n+1 round trips. Fetch the related rows in one query \
            (select_related / prefetch_related, or a join).",
        language: Language::Python,
        severity: Severity::Medium,
        category: "n+1-query",
        performance: Impact::High,
        security: Impact::None,
        source: r#"
def order_report(session):
    orders = session.query(Order).filter(Order.status == "open").all()
    lines = []
    for order in orders:
        customer = session.query(Customer).filter(Customer.id == order.customer_id).first()
        total = 0
        for item in order.items:
            total += item.price * item.quantity
        lines.append((order.id, customer.name, total))
    return lines
"#,
    },
    Seed {
        domain: "web",
        title: "Blocking call inside an async request handler",
        description: "An async handler calls time.sleep and requests.get, which block the event loop: \
            every other request on the worker waits. Use await asyncio.sleep and an async HTTP client \
            (aiohttp, httpx.AsyncClient), or run the blocking call in a thread pool.",
        language: Language::Python,
        severity: Severity::Medium,
        category: "blocking-in-async",
        performance: Impact::High,
        security: Impact::None,
        source: r#"
async def fetch_profile(request):
    user_id = request.match_info["id"]
    for attempt in range(3):
        response = requests.get("https://profiles.internal/users/" + user_id)
        if response.status_code == 200:
            break
        time.sleep(1)
    data = response.json()
    return web.json_response({"id": user_id, "name": data["name"]})
"#,
    },
    Seed {
        domain: "web",
        title: "User input written into innerHTML",
        description: "A value from the URL or a form is inserted into the page with innerHTML, so any \
            markup in it runs as script (cross-site scripting). Use textContent, or build elements with \
            document.createElement.",
        language: Language::JavaScript,
        severity: Severity::High,
        category: "xss",
        performance: Impact::None,
        security: Impact::High,
        source: r#"
function showGreeting() {
  const params = new URLSearchParams(window.location.search);
  const name = params.get("name");
  const box = document.getElementById("greeting");
  if (name) {
    box.innerHTML = "<h2>Welcome back, " + name + "!</h2>";
  } else {
    box.innerHTML = "<h2>Welcome!</h2>";
  }
}
"#,
    },
    Seed {
        domain: "ml",
        title: "pickle.loads on data received from outside",
        description: "Unpickling runs arbitrary code chosen by whoever wrote the bytes. Data from a \
            request, a queue or a downloaded file must not be unpickled. Use a data-only format (JSON, \
            safetensors, numpy without allow_pickle).",
        language: Language::Python,
        severity: Severity::Critical,
        category: "unsafe-deserialization",
        performance: Impact::None,
        security: Impact::High,
        source: r#"
def predict(request, model):
    payload = request.get_data()
    features = pickle.loads(base64.b64decode(payload))
    batch = []
    for row in features:
        batch.append([float(value) for value in row])
    scores = model.predict(batch)
    return {"scores": [float(score) for score in scores]}
"#,
    },
    Seed {
        domain: "ml",
        title: "torch.load of a downloaded checkpoint without weights_only",
        description: "torch.load unpickles the file, so a checkpoint from the internet can run code \
            when loaded. Pass weights_only=True, or distribute weights as safetensors.",
        language: Language::Python,
        severity: Severity::High,
        category: "unsafe-deserialization",
        performance: Impact::None,
        security: Impact::High,
        source: r#"
def load_pretrained(url, model):
    path = os.path.join(tempfile.gettempdir(), "checkpoint.pt")
    urllib.request.urlretrieve(url, path)
    checkpoint = torch.load(path, map_location="cpu")
    state = checkpoint["state_dict"]
    model.load_state_dict(state)
    model.eval()
    return model
"#,
    },
    Seed {
        domain: "ml",
        title: "yaml.load without SafeLoader on an experiment config",
        description: "yaml.load with the default or full loader constructs arbitrary Python objects \
            named in the file. Use yaml.safe_load (or Loader=yaml.SafeLoader).",
        language: Language::Python,
        severity: Severity::High,
        category: "unsafe-deserialization",
        performance: Impact::None,
        security: Impact::Medium,
        source: r#"
def read_config(path):
    with open(path) as handle:
        config = yaml.load(handle, Loader=yaml.Loader)
    learning_rate = config.get("learning_rate", 0.001)
    epochs = config.get("epochs", 10)
    layers = config["model"]["layers"]
    return learning_rate, epochs, layers
"#,
    },
    Seed {
        domain: "ml",
        title: "Loss tensors kept with their graph across a training loop",
        description: "Appending the loss tensor itself (not loss.item()) keeps every step's autograd \
            graph alive, so memory grows with the number of steps until the process dies. Store \
            loss.item() or loss.detach().",
        language: Language::Python,
        severity: Severity::Medium,
        category: "unbounded-allocation",
        performance: Impact::High,
        security: Impact::None,
        source: r#"
def train(model, loader, optimizer, epochs):
    history = []
    for epoch in range(epochs):
        for inputs, targets in loader:
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = torch.nn.functional.cross_entropy(outputs, targets)
            loss.backward()
            optimizer.step()
            history.append(loss)
    return history
"#,
    },
    Seed {
        domain: "embedded",
        title: "strcpy of a received message into a fixed-size buffer",
        description: "strcpy copies until the terminating zero whatever the destination's size, so a \
            long message overwrites the stack. Bound the copy (strncpy plus explicit termination, or \
            snprintf) and check the length first.",
        language: Language::C,
        severity: Severity::Critical,
        category: "buffer-overflow",
        performance: Impact::None,
        security: Impact::High,
        source: r#"
int handle_command(const char *message, struct device *dev)
{
    char name[32];
    strcpy(name, message);
    if (strcmp(name, "reset") == 0) {
        device_reset(dev);
        return 0;
    }
    printf("unknown command %s\n", name);
    return -1;
}
"#,
    },
    Seed {
        domain: "embedded",
        title: "Unbounded recursion driven by input depth",
        description: "A parser recurses once per nesting level of its input with no depth limit; on a \
            microcontroller's small stack a crafted or corrupt message overflows it. Limit the depth \
            or parse iteratively with an explicit stack.",
        language: Language::C,
        severity: Severity::High,
        category: "unbounded-recursion",
        performance: Impact::Medium,
        security: Impact::Medium,
        source: r#"
int parse_node(const uint8_t *data, size_t len, size_t *pos, struct node *out)
{
    if (*pos >= len) {
        return -1;
    }
    uint8_t tag = data[*pos];
    *pos += 1;
    if (tag == 0x01) {
        out->child = malloc(sizeof(struct node));
        return parse_node(data, len, pos, out->child);
    }
    out->value = tag;
    return 0;
}
"#,
    },
    Seed {
        domain: "embedded",
        title: "sprintf into a fixed buffer from sensor values",
        description: "sprintf writes as many bytes as the format produces; an unexpected value widens \
            the output past the buffer. Use snprintf with the buffer size and check its result.",
        language: Language::C,
        severity: Severity::High,
        category: "buffer-overflow",
        performance: Impact::None,
        security: Impact::Medium,
        source: r#"
void report_reading(struct sensor *sensor, int uart)
{
    char line[24];
    int value = sensor_read(sensor);
    int status = sensor_status(sensor);
    sprintf(line, "%s=%d status=%d\r\n", sensor->name, value, status);
    uart_write(uart, line, strlen(line));
}
"#,
    },
    Seed {
        domain: "embedded",
        title: "Busy-wait polling loop without a timeout",
        description: "The loop spins until a peripheral sets a ready bit; if the hardware never \
            answers, the firmware hangs (and burns power meanwhile). Bound the wait with a timeout or a \
            retry count and report the failure.",
        language: Language::C,
        severity: Severity::Medium,
        category: "missing-timeout",
        performance: Impact::Medium,
        security: Impact::None,
        source: r#"
int spi_transfer(volatile struct spi_regs *regs, const uint8_t *out, uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        regs->data = out[i];
        while ((regs->status & SPI_STATUS_READY) == 0) {
        }
        in[i] = regs->data;
    }
    return 0;
}
"#,
    },
    Seed {
        domain: "security",
        title: "MD5 used to hash passwords",
        description: "MD5 (and SHA-1/SHA-256 alone) is fast, so stolen hashes are cracked at billions \
            of guesses a second. Store passwords with a slow, salted password hash: argon2id, scrypt \
            or bcrypt.",
        language: Language::Python,
        severity: Severity::High,
        category: "weak-password-hash",
        performance: Impact::None,
        security: Impact::High,
        source: r#"
def register(db, username, password):
    digest = hashlib.md5(password.encode("utf-8")).hexdigest()
    if db.users.find_one({"username": username}):
        raise ValueError("taken")
    db.users.insert_one({"username": username, "password": digest})
    return True
"#,
    },
    Seed {
        domain: "security",
        title: "Shell command built from input with shell=True",
        description: "Formatting input into a command line run through the shell lets ; | $( ) in the \
            input run other commands. Pass an argument list without shell=True.",
        language: Language::Python,
        severity: Severity::Critical,
        category: "command-injection",
        performance: Impact::None,
        security: Impact::High,
        source: r#"
def archive_logs(request):
    folder = request.form["folder"]
    target = "/backups/" + folder + ".tar.gz"
    command = "tar czf " + target + " /var/log/" + folder
    result = subprocess.run(command, shell=True, capture_output=True)
    if result.returncode != 0:
        return {"ok": False, "error": result.stderr.decode()}
    return {"ok": True, "path": target}
"#,
    },
    Seed {
        domain: "security",
        title: "random used for security tokens",
        description: "The random module is a predictable generator (Mersenne Twister); tokens made \
            from it can be reconstructed from a few outputs. Use secrets.token_urlsafe or os.urandom.",
        language: Language::Python,
        severity: Severity::High,
        category: "insecure-randomness",
        performance: Impact::None,
        security: Impact::High,
        source: r#"
def new_reset_token(db, user):
    alphabet = string.ascii_letters + string.digits
    token = "".join(random.choice(alphabet) for _ in range(32))
    expires = datetime.utcnow() + timedelta(hours=1)
    db.tokens.insert_one({"user": user, "token": token, "expires": expires})
    return token
"#,
    },
    Seed {
        domain: "security",
        title: "TLS certificate verification turned off",
        description: "verify=False accepts any certificate, so anyone on the path can read and change \
            the traffic. Keep verification on; point verify at the right CA bundle for internal \
            services.",
        language: Language::Python,
        severity: Severity::High,
        category: "tls-verification-disabled",
        performance: Impact::None,
        security: Impact::High,
        source: r#"
def push_metrics(endpoint, token, metrics):
    headers = {"Authorization": "Bearer " + token}
    session = requests.Session()
    response = session.post(endpoint, json=metrics, headers=headers, verify=False, timeout=10)
    if response.status_code >= 400:
        raise RuntimeError("push failed")
    return response.json()
"#,
    },
];
