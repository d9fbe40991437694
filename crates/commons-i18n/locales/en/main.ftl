# English catalog of the Commons web UI. Every id here exists in every other
# catalog; variables: $name, $count, $min, $role, $kinds, $page, $key,
# $home, $records, $skipped, $kept, $total.

## Frame of every page

app-name = Commons
page-title = { $page } · Commons
skip-to-content = Skip to content
nav-label = Main
nav-home = Home
nav-communities = Communities
nav-profile = Profile
nav-settings = Settings
nav-login = Log in
nav-register = Register
nav-logout = Log out
nav-audit = Audit log
signed-in-as = Signed in as { $name }
footer-about = Commons is a self-hosted, federated platform where communities share what they know and what they have.
footer-node = Node key { $key }
lang-label = Language
lang-submit = Change language
lang-follow-browser = Follow browser

## Home

home-title = Share what you know and what you have
home-intro = Commons is a place for communities to share knowledge, tools and things, on servers they run themselves. Nodes talk to each other, so communities can reach beyond one server.
home-privacy = Every shared change is a signed entry in its community's log. Private communities stay with their members, and your personal data never leaves this node.
home-browse = Browse communities
home-register = Create an account
home-login = Log in
home-welcome = Welcome back, { $name }.

## Accounts

register-title = Create an account
register-closed = Registration is closed on this node. Ask its administrator for an account.
register-submit = Create account
register-have-account = Already have an account? Log in.
login-title = Log in
login-submit = Log in
login-no-account = No account yet? Create one.
setup-title = Set your password
setup-intro = This one-time link sets the password of your account. After that, log in with your name and the new password.
setup-submit = Set password
field-name = Name
field-name-hint = 2 to 32 characters: lowercase letters a–z, digits, “-” and “_”, starting with a letter.
field-password = Password
field-password-hint = At least { $min } characters.
field-password-confirm = Repeat the password
field-current-password = Current password
field-new-password = New password

## Inline form errors

form-has-errors = Please correct the marked fields.
error-wrong-login = Wrong name or password.
error-account-disabled = This account is disabled.
error-password-short = The password must have at least { $min } characters.
error-password-long = The password is too long.
error-password-mismatch = The two passwords differ.
error-name-taken = The name { $name } is taken.
error-name-invalid = Use 2 to 32 characters: lowercase letters a–z, digits, “-” and “_”, starting with a letter.
error-setup-invalid = This setup link is invalid or was already used.
error-community-exists = This node already hosts a community named { $name }.
error-template-unknown = Choose one of the offered rule sets.
error-current-password = The current password is wrong.

## Error pages

error-csrf-title = The form expired
error-csrf-body = The form was open too long, or it was sent from another site. Go back, reload the page and try again.
error-not-found-title = Not found
error-not-found-body = There is nothing here, or you may not see it.
error-forbidden-title = Not allowed
error-forbidden-body = You may not do this.
error-bad-request-title = The request could not be read
error-bad-request-body = The form was incomplete or malformed. Go back and try again.
error-conflict-title = That did not work
error-conflict-body = The request conflicts with what is already there.
error-rejected-title = Not accepted
error-rejected-body = The community's rules do not allow this.
error-internal-title = Something went wrong
error-internal-body = The node could not complete this request. Try again later; the node's log has the cause.
error-back-home = Back to the home page

## Communities

communities-title = Communities
communities-empty = There are no communities yet.
communities-login-to-create = Log in to create a community.
col-name = Name
col-visibility = Visibility
col-members = Members
col-your-role = Your role
col-role = Role
col-seq = No.
col-kind = Kind
col-author = Author
col-time = Time
visibility-public = Public
visibility-private = Private
role-member = Member
role-expert = Expert
role-moderator = Moderator
role-admin = Admin
role-none = Not a member
role-pending = Request pending
create-title = Create a community
field-community-name = Name
field-private = Private: only members can see it
field-template = Rules
template-open = Open: anyone can join
template-moderated = Moderated: moderators approve who joins
template-invite-only = Invite only: members must be invited
create-submit = Create community

## One community

community-facts = About this community
community-id = Id
community-home-node = Home node
community-visibility = Visibility
community-policy = Rules
community-replica = This node keeps a copy of this community; changes go to its home node.
policy-join-open = Anyone can join.
policy-join-approval = Moderators approve who joins.
policy-join-invite = Only invited people can join.
policy-votes = { $count ->
    [one] One net vote accepts a contribution.
   *[other] { $count } net votes accept a contribution.
}
policy-expert = These also need an expert's approval: { $kinds }.
policy-invite = { $role } and above can invite.
community-members = Members ({ $count })
community-log = Recent activity
community-log-empty = Nothing has happened yet.
community-your-role = Your role: { $role }.
community-pending = Your request to join is waiting for approval.
community-join = Join
community-request-join = Ask to join
community-leave = Leave
community-withdraw = Withdraw request
community-login-to-join = Log in to join this community.

## Profile and settings

profile-title = Profile
profile-name = Name
profile-key = Public key
profile-admin = You administer this node.
profile-communities = Your communities
profile-no-communities = You have not joined any community yet.
settings-title = Settings
settings-language = Language
settings-language-hint = “Follow browser” uses the languages your browser asks for.
settings-language-submit = Save language
settings-language-saved = Your language was saved.
settings-password = Change password
settings-password-submit = Change password
settings-password-changed = Your password was changed.

## Audit

audit-title = Audit log
audit-empty = No audited actions yet.
col-actor = Actor
col-action = Action
col-target = Target
col-outcome = Outcome
audit-older = Older entries
error-too-many-logins = Too many login attempts. Wait a minute and try again.

## Running a community: invitations, join requests, roles and the policy
manage-title = Run this community
manage-invite-label = Invite someone
manage-invite-hint = Their user name on this node, or their public key.
manage-invite = Send invitation
manage-approve = Approve
manage-remove = Remove
manage-role-for = Role of { $name }
manage-role-change = Change role
manage-policy-title = Rules
manage-policy-join = Who can join
manage-policy-votes = Net votes to accept a contribution
manage-policy-expert = Needs an expert's approval
manage-policy-expert-hint = Record kinds or categories, separated by commas, e.g. security.
manage-policy-invite = Least role that can invite
manage-policy-save = Save rules

## Code patterns

patterns-nav = Patterns
patterns-browse = Patterns
patterns-queue = Review queue
patterns-new = Submit a pattern
patterns-title = Patterns of { $name }
patterns-queue-title = Review queue of { $name }
patterns-queue-policy = { $count ->
    [one] One net vote accepts a pattern; patterns the policy marks also need an expert.
   *[other] { $count } net votes accept a pattern; patterns the policy marks also need an expert.
}
patterns-empty = No patterns match.
patterns-search = Search
patterns-language = Language
patterns-category = Category
patterns-severity = Severity
patterns-min-severity = Severity at least
patterns-state = State
patterns-any = Any
patterns-filter = Show
severity-critical = Critical
severity-high = High
severity-medium = Medium
severity-low = Low
severity-info = Info
impact-none = None
impact-low = Low
impact-medium = Medium
impact-high = High
state-submitted = Submitted
state-in-review = In review
state-accepted = Accepted
state-rejected = Rejected
state-withdrawn = Withdrawn
pattern-properties = Properties
pattern-performance = Performance impact
pattern-security = Security impact
pattern-size = Size
pattern-tokens = { $count ->
    [one] one token
   *[other] { $count } tokens
}
pattern-hashes = { $count ->
    [one] one shared hash
   *[other] { $count } shared hashes
}
pattern-author = Submitted by
pattern-anonymous = Anonymous
pattern-id = Pattern id
pattern-votes = Votes
pattern-votes-for = For: { $count }
pattern-votes-against = Against: { $count }
pattern-needs-expert = { $count ->
    [0] An expert must also approve this pattern; none has yet.
    [one] An expert must also approve this pattern; one has.
   *[other] An expert must also approve this pattern; { $count } have.
}
pattern-approved-by = Approved by:
pattern-vote-for = Vote for
pattern-vote-against = Vote against
pattern-approve = Approve as expert
pattern-withdraw = Withdraw
pattern-reviewers = Suggested reviewers
pattern-no-reviewers = Nobody has reviewed patterns of this language and category yet.
pattern-points = { $count ->
    [one] one point
   *[other] { $count } points
}
pattern-similar = Similar patterns
pattern-no-similar = No near-duplicates were found.
pattern-history = History
pattern-submit-title = Submit a pattern to { $name }
pattern-submit-intro = Fingerprint your code on your own machine and paste the JSON it prints. Only keyed hashes are sent: no code, names, literals, positions or paths.
pattern-field-fingerprint = Output of commons pattern abstract
pattern-field-title = Title
pattern-field-title-hint = A short name reviewers will recognise.
pattern-field-description = What is wrong, and what to do instead
pattern-field-category-hint = Lowercase words joined by dashes, e.g. sql-injection.
pattern-field-anonymous = Submit anonymously (only this node's operators can see who sent it)
pattern-submit = Submit for review
pattern-error-json = Paste the JSON printed by commons pattern abstract --json.
pattern-error-key = These hashes were not made with the key of { $name }; run commons pattern abstract with --community { $name }.
## Intel

intel-feed-title = Intel feed
intel-feed-empty = No objects match.
intel-filter-type = Type
intel-filter-label = Label
intel-filter-confidence = Least confidence
intel-filter-source = Source
intel-filter-inactive = Include revoked and expired indicators
intel-filter-submit = Filter
intel-col-type = Type
intel-col-name = Name
intel-col-confidence = Confidence
intel-col-status = Status
intel-col-added = Added
intel-col-time = Time
intel-status-active = Active
intel-status-revoked = Revoked
intel-status-expired = Expired
intel-status-below-threshold = Below threshold
intel-pattern = Pattern
intel-sightings = Sightings
intel-false-positives = False-positive reports
intel-valid-from = Valid from
intel-valid-until = Valid until
intel-history = Confidence over time
intel-evidence = Sightings, false positives and revocation
intel-evidence-empty = Nobody has reported anything about this indicator yet.
intel-relationships = Relationships
intel-relationships-empty = No relationships.
intel-versions = Versions
intel-publish-title = Publish STIX
intel-publish-bundle = STIX 2.1 bundle, envelope or list of objects (JSON)
intel-publish-submit = Publish
intel-publish-invalid = Nothing was published. Fix these problems:
intel-publish-not-json = The text is not JSON
intel-scans-title = Local scan results
intel-scans-run-title = Scan run
intel-scans-local = What `commons intel scan … --save` found on this node. These results stay here: they are never shared with a community.
intel-scans-empty = No saved scan runs yet. Run a scan with --save to keep its results here:
intel-scans-inputs = Inputs
intel-scans-indicators = Indicators from
intel-scans-alerts = Alerts
intel-scans-user = Run as
intel-scans-records = { $records } records read, { $skipped } skipped
intel-scans-no-alerts = Nothing matched.
intel-scans-cut = The { $kept } alerts with the highest threat scores of { $total } are kept.
intel-scans-indicator = Indicator
intel-scans-matched = Matched value
intel-scans-flow = Flow
intel-scans-seen = Seen
intel-scans-threat = Threat score

# Patterns: opt-in match counts and security alerts
pattern-match-counts = Match counts
pattern-no-match-counts = No member has reported match counts for this pattern yet. Members opt in per community in their node's configuration (report_match_counts).
pattern-match-total = { $count } { $count ->
        [one] match
       *[other] matches
    }
pattern-match-reporters = reported by { $count } { $count ->
        [one] member
       *[other] members
    }
nav-alerts = Security alerts
alerts-title = Security alerts
alerts-roots = Watched scan roots
alerts-no-roots = No scan roots are registered. Register one with commons scan --watch PATH or the scan_roots setting.
alerts-list = Alerts
alerts-empty = No accepted security pattern has matched the watched roots.

## Writes away from home (sync)
write-pending = pending
write-pending-title = Pending
write-pending-body = This node is not the community's home node, so your change was signed here and queued for the home node. It shows as pending on the community page until its entry comes back.
community-pending-writes = Pending ({ $count })
community-pending-writes-help = Written on this node and waiting for the community's home node; each leaves this list when its entry comes back.
community-home-here = This node
community-home-of = on { $home }

## Federated discovery
discover-title = Discover
discover-query = Communities and patterns
discover-followed = Include public communities this node follows that you have not joined
discover-submit = Search
discover-none = Nothing found.
discover-from-here = on this node
discover-from-joined = joined · home node { $home }
discover-from-followed = followed · home node { $home }
