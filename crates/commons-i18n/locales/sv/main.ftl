# Svensk katalog för Commons webbgränssnitt. Samma id:n som i den engelska;
# variabler: $name, $count, $min, $role, $kinds, $page, $key,
# $home, $records, $skipped, $kept, $total.

## Ramen runt varje sida

app-name = Commons
page-title = { $page } · Commons
skip-to-content = Hoppa till innehållet
nav-label = Huvudmeny
nav-home = Start
nav-communities = Gemenskaper
nav-profile = Profil
nav-settings = Inställningar
nav-login = Logga in
nav-register = Skapa konto
nav-logout = Logga ut
nav-audit = Granskningslogg
signed-in-as = Inloggad som { $name }
footer-about = Commons är en egen-driftad, federerad plattform där gemenskaper delar med sig av vad de vet och vad de har.
footer-node = Nodnyckel { $key }
lang-label = Språk
lang-submit = Byt språk
lang-follow-browser = Följ webbläsaren

## Start

home-title = Dela med dig av vad du vet och vad du har
home-intro = Commons är en plats där gemenskaper delar kunskap, verktyg och saker, på servrar de själva driver. Noderna pratar med varandra, så en gemenskap kan nå längre än en server.
home-privacy = Varje delad ändring är en signerad post i gemenskapens logg. Privata gemenskaper stannar hos sina medlemmar, och dina personuppgifter lämnar aldrig den här noden.
home-browse = Bläddra bland gemenskaper
home-register = Skapa ett konto
home-login = Logga in
home-welcome = Välkommen tillbaka, { $name }.

## Konton

register-title = Skapa ett konto
register-closed = Det går inte att skapa konton på den här noden. Be administratören om ett konto.
register-submit = Skapa konto
register-have-account = Har du redan ett konto? Logga in.
login-title = Logga in
login-submit = Logga in
login-no-account = Inget konto än? Skapa ett.
setup-title = Välj ditt lösenord
setup-intro = Den här engångslänken sätter lösenordet för ditt konto. Logga sedan in med ditt namn och det nya lösenordet.
setup-submit = Spara lösenord
field-name = Namn
field-name-hint = 2 till 32 tecken: små bokstäver a–z, siffror, ”-” och ”_”, och första tecknet en bokstav.
field-password = Lösenord
field-password-hint = Minst { $min } tecken.
field-password-confirm = Upprepa lösenordet
field-current-password = Nuvarande lösenord
field-new-password = Nytt lösenord

## Fel i formulär

form-has-errors = Rätta de markerade fälten.
error-wrong-login = Fel namn eller lösenord.
error-account-disabled = Det här kontot är avstängt.
error-password-short = Lösenordet måste ha minst { $min } tecken.
error-password-long = Lösenordet är för långt.
error-password-mismatch = Lösenorden är olika.
error-name-taken = Namnet { $name } är upptaget.
error-name-invalid = Använd 2 till 32 tecken: små bokstäver a–z, siffror, ”-” och ”_”, och första tecknet en bokstav.
error-setup-invalid = Länken är ogiltig eller har redan använts.
error-community-exists = Den här noden har redan en gemenskap som heter { $name }.
error-template-unknown = Välj en av de erbjudna reglerna.
error-current-password = Det nuvarande lösenordet är fel.

## Felsidor

error-csrf-title = Formuläret har gått ut
error-csrf-body = Formuläret var öppet för länge, eller skickades från en annan webbplats. Gå tillbaka, ladda om sidan och försök igen.
error-not-found-title = Hittades inte
error-not-found-body = Här finns ingenting, eller så får du inte se det.
error-forbidden-title = Inte tillåtet
error-forbidden-body = Du får inte göra det här.
error-bad-request-title = Begäran gick inte att läsa
error-bad-request-body = Formuläret var ofullständigt eller felaktigt. Gå tillbaka och försök igen.
error-conflict-title = Det gick inte
error-conflict-body = Begäran krockar med något som redan finns.
error-rejected-title = Inte godkänt
error-rejected-body = Gemenskapens regler tillåter inte det här.
error-internal-title = Något gick fel
error-internal-body = Noden kunde inte slutföra begäran. Försök igen senare; orsaken står i nodens logg.
error-back-home = Tillbaka till startsidan

## Gemenskaper

communities-title = Gemenskaper
communities-empty = Det finns inga gemenskaper än.
communities-login-to-create = Logga in för att skapa en gemenskap.
col-name = Namn
col-visibility = Synlighet
col-members = Medlemmar
col-your-role = Din roll
col-role = Roll
col-seq = Nr
col-kind = Typ
col-author = Författare
col-time = Tid
visibility-public = Offentlig
visibility-private = Privat
role-member = Medlem
role-expert = Expert
role-moderator = Moderator
role-admin = Administratör
role-none = Inte medlem
role-pending = Ansökan väntar
create-title = Skapa en gemenskap
field-community-name = Namn
field-private = Privat: bara medlemmar kan se den
field-template = Regler
template-open = Öppen: alla kan gå med
template-moderated = Modererad: moderatorer godkänner nya medlemmar
template-invite-only = Bara inbjudna: medlemmar måste bjudas in
create-submit = Skapa gemenskap

## En gemenskap

community-facts = Om gemenskapen
community-id = Id
community-home-node = Hemnod
community-visibility = Synlighet
community-policy = Regler
community-replica = Den här noden har en kopia av gemenskapen; ändringar går till dess hemnod.
policy-join-open = Alla kan gå med.
policy-join-approval = Moderatorer godkänner nya medlemmar.
policy-join-invite = Bara inbjudna kan gå med.
policy-votes = { $count ->
    [one] En nettoröst godkänner ett bidrag.
   *[other] { $count } nettoröster godkänner ett bidrag.
}
policy-expert = Dessa behöver också godkännas av en expert: { $kinds }.
policy-invite = { $role } och högre kan bjuda in.
community-members = Medlemmar ({ $count })
community-log = Senaste händelser
community-log-empty = Inget har hänt än.
community-your-role = Din roll: { $role }.
community-pending = Din ansökan om medlemskap väntar på godkännande.
community-join = Gå med
community-request-join = Ansök om medlemskap
community-leave = Lämna
community-withdraw = Dra tillbaka ansökan
community-login-to-join = Logga in för att gå med i gemenskapen.

## Profil och inställningar

profile-title = Profil
profile-name = Namn
profile-key = Publik nyckel
profile-admin = Du administrerar den här noden.
profile-communities = Dina gemenskaper
profile-no-communities = Du har inte gått med i någon gemenskap än.
settings-title = Inställningar
settings-language = Språk
settings-language-hint = ”Följ webbläsaren” använder de språk som din webbläsare ber om.
settings-language-submit = Spara språk
settings-language-saved = Ditt språk har sparats.
settings-password = Byt lösenord
settings-password-submit = Byt lösenord
settings-password-changed = Ditt lösenord har bytts.

## Granskning

audit-title = Granskningslogg
audit-empty = Inga granskade åtgärder än.
col-actor = Utförare
col-action = Åtgärd
col-target = Mål
col-outcome = Utfall
audit-older = Äldre poster
error-too-many-logins = För många inloggningsförsök. Vänta en minut och försök igen.

## Running a community: invitations, join requests, roles and the policy
manage-title = Driv den här gemenskapen
manage-invite-label = Bjud in någon
manage-invite-hint = Användarnamnet på den här noden, eller den publika nyckeln.
manage-invite = Skicka inbjudan
manage-approve = Godkänn
manage-remove = Ta bort
manage-role-for = Roll för { $name }
manage-role-change = Byt roll
manage-policy-title = Regler
manage-policy-join = Vem kan gå med
manage-policy-votes = Röster netto för att godta ett bidrag
manage-policy-expert = Kräver en experts godkännande
manage-policy-expert-hint = Posttyper eller kategorier, åtskilda med kommatecken, t.ex. security.
manage-policy-invite = Lägsta roll som kan bjuda in
manage-policy-save = Spara reglerna

## Kodmönster

patterns-nav = Mönster
patterns-browse = Mönster
patterns-queue = Granskningskö
patterns-new = Skicka in ett mönster
patterns-title = Mönster i { $name }
patterns-queue-title = Granskningskö för { $name }
patterns-queue-policy = { $count ->
    [one] En nettoröst godkänner ett mönster; mönster som policyn pekar ut behöver också en expert.
   *[other] { $count } nettoröster godkänner ett mönster; mönster som policyn pekar ut behöver också en expert.
}
patterns-empty = Inga mönster matchar.
patterns-search = Sök
patterns-language = Språk
patterns-category = Kategori
patterns-severity = Allvarlighet
patterns-min-severity = Allvarlighet minst
patterns-state = Status
patterns-any = Alla
patterns-filter = Visa
severity-critical = Kritisk
severity-high = Hög
severity-medium = Medel
severity-low = Låg
severity-info = Info
impact-none = Ingen
impact-low = Låg
impact-medium = Medel
impact-high = Hög
state-submitted = Inskickat
state-in-review = Granskas
state-accepted = Godkänt
state-rejected = Avslaget
state-withdrawn = Tillbakadraget
pattern-properties = Egenskaper
pattern-performance = Påverkan på prestanda
pattern-security = Påverkan på säkerhet
pattern-size = Storlek
pattern-tokens = { $count ->
    [one] en token
   *[other] { $count } tokens
}
pattern-hashes = { $count ->
    [one] en delad hash
   *[other] { $count } delade hashar
}
pattern-author = Inskickat av
pattern-anonymous = Anonym
pattern-id = Mönstrets id
pattern-votes = Röster
pattern-votes-for = För: { $count }
pattern-votes-against = Emot: { $count }
pattern-needs-expert = { $count ->
    [0] En expert måste också godkänna mönstret; ingen har gjort det än.
    [one] En expert måste också godkänna mönstret; en har gjort det.
   *[other] En expert måste också godkänna mönstret; { $count } har gjort det.
}
pattern-approved-by = Godkänt av:
pattern-vote-for = Rösta för
pattern-vote-against = Rösta emot
pattern-approve = Godkänn som expert
pattern-withdraw = Dra tillbaka
pattern-reviewers = Föreslagna granskare
pattern-no-reviewers = Ingen har granskat mönster i det här språket och den här kategorin än.
pattern-points = { $count ->
    [one] en poäng
   *[other] { $count } poäng
}
pattern-similar = Liknande mönster
pattern-no-similar = Inga nästan-dubbletter hittades.
pattern-history = Historik
pattern-submit-title = Skicka in ett mönster till { $name }
pattern-submit-intro = Gör ett fingeravtryck av koden på din egen dator och klistra in JSON-utdatan. Bara nycklade hashar skickas: ingen kod, inga namn, literaler, positioner eller sökvägar.
pattern-field-fingerprint = Utdata från commons pattern abstract
pattern-field-title = Titel
pattern-field-title-hint = Ett kort namn som granskarna känner igen.
pattern-field-description = Vad som är fel, och vad man bör göra i stället
pattern-field-category-hint = Små bokstäver med bindestreck, t.ex. sql-injection.
pattern-field-anonymous = Skicka in anonymt (bara nodens operatörer kan se vem som skickade)
pattern-submit = Skicka till granskning
pattern-error-json = Klistra in JSON som commons pattern abstract --json skriver ut.
pattern-error-key = Hasharna gjordes inte med nyckeln för { $name }; kör commons pattern abstract med --community { $name }.
## Intel

intel-feed-title = Hotinformation
intel-feed-empty = Inga objekt matchar.
intel-filter-type = Typ
intel-filter-label = Etikett
intel-filter-confidence = Lägsta tillförlitlighet
intel-filter-source = Källa
intel-filter-inactive = Ta med återkallade och utgångna indikatorer
intel-filter-submit = Filtrera
intel-col-type = Typ
intel-col-name = Namn
intel-col-confidence = Tillförlitlighet
intel-col-status = Status
intel-col-added = Tillagd
intel-col-time = Tid
intel-status-active = Aktiv
intel-status-revoked = Återkallad
intel-status-expired = Utgången
intel-status-below-threshold = Under tröskeln
intel-pattern = Mönster
intel-sightings = Observationer
intel-false-positives = Rapporter om falsklarm
intel-valid-from = Giltig från
intel-valid-until = Giltig till
intel-history = Tillförlitlighet över tid
intel-evidence = Observationer, falsklarm och återkallelse
intel-evidence-empty = Ingen har rapporterat något om den här indikatorn än.
intel-relationships = Relationer
intel-relationships-empty = Inga relationer.
intel-versions = Versioner
intel-publish-title = Publicera STIX
intel-publish-bundle = STIX 2.1-paket, kuvert eller lista med objekt (JSON)
intel-publish-submit = Publicera
intel-publish-invalid = Inget publicerades. Åtgärda de här problemen:
intel-publish-not-json = Texten är inte JSON
intel-scans-title = Lokala skanningsresultat
intel-scans-run-title = Skanning
intel-scans-local = Vad `commons intel scan … --save` har hittat på den här noden. Resultaten stannar här: de delas aldrig med en gemenskap.
intel-scans-empty = Inga sparade skanningar ännu. Kör en skanning med --save för att spara resultatet här:
intel-scans-inputs = Indata
intel-scans-indicators = Indikatorer från
intel-scans-alerts = Larm
intel-scans-user = Körd som
intel-scans-records = { $records } poster lästa, { $skipped } överhoppade
intel-scans-no-alerts = Inget matchade.
intel-scans-cut = De { $kept } larmen med högst hotpoäng av { $total } sparas.
intel-scans-indicator = Indikator
intel-scans-matched = Matchat värde
intel-scans-flow = Flöde
intel-scans-seen = Sett
intel-scans-threat = Hotpoäng

# Patterns: opt-in match counts and security alerts
pattern-match-counts = Antal träffar
pattern-no-match-counts = Ingen medlem har rapporterat antal träffar för det här mönstret än. Medlemmar väljer att delta per gemenskap i sin nods konfiguration (report_match_counts).
pattern-match-total = { $count } { $count ->
        [one] träff
       *[other] träffar
    }
pattern-match-reporters = rapporterade av { $count } { $count ->
        [one] medlem
       *[other] medlemmar
    }
nav-alerts = Säkerhetslarm
alerts-title = Säkerhetslarm
alerts-roots = Bevakade skanningsrötter
alerts-no-roots = Inga skanningsrötter är registrerade. Registrera en med commons scan --watch SÖKVÄG eller inställningen scan_roots.
alerts-list = Larm
alerts-empty = Inget godkänt säkerhetsmönster har matchat de bevakade rötterna.

## Skrivningar borta från hemnoden (synk)
write-pending = väntar
write-pending-title = Väntar
write-pending-body = Den här noden är inte gemenskapens hemnod, så din ändring signerades här och köades för hemnoden. Den visas som väntande på gemenskapens sida tills dess post kommer tillbaka.
community-pending-writes = Väntar ({ $count })
community-pending-writes-help = Skrivet på den här noden och väntar på gemenskapens hemnod; varje post försvinner från listan när den kommer tillbaka.
community-home-here = Den här noden
community-home-of = på { $home }

## Federerad upptäckt
discover-title = Upptäck
discover-query = Gemenskaper och mönster
discover-followed = Ta med publika gemenskaper som den här noden följer men som du inte gått med i
discover-submit = Sök
discover-none = Inget hittades.
discover-from-here = på den här noden
discover-from-joined = medlem · hemnod { $home }
discover-from-followed = följd · hemnod { $home }
