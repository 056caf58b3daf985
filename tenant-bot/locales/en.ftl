# Tenant messages in English.

pairing-code =
    🔗 Pairing code for { $phone }:

    { $code }

    1. Open WhatsApp on your phone.
    2. Tap ⋮ or Settings › Linked devices › Link a device.
    3. Choose "Link with phone number instead".
    4. Enter the code above.

    The code expires in { $remaining }.
pairing-passkey-hint = If WhatsApp asks for an extra check (passkey), finish it on the phone, then enter the code.
pairing-done = ✅ WhatsApp { $name } is connected.
pairing-timeout = ⌛ Pairing timed out. Tap Retry for a new code.
pairing-cancelled = Pairing cancelled.
pairing-rate-limited = ⏳ WhatsApp is limiting code requests. Try again in { $minutes } minutes.
pairing-retrying = Temporary problem requesting the code; trying again…
pairing-failed = ❌ Pairing failed: { $reason }
button-retry = 🔁 Retry
button-cancel = ✖️ Cancel
menu-title = 📱 Dashboard
menu-account = Account: { $phone } ({ $name })
menu-state = State: { $state }
menu-groups = Groups: { $count }
menu-jobs = Running jobs: { $count }
state-connected = connected
state-disconnected = disconnected
state-awaiting-pairing = waiting for pairing
state-logged-out = logged out from the phone
state-banned = banned by WhatsApp
button-groups = 👥 Groups
button-accounts = 🗂 Accounts
button-activity = 🕘 Activity
button-language = 🌐 Language
button-help = ❓ Help
button-logout = 🚪 Log out
help =
    Commands:
    /menu – account dashboard
    /lang – change language
    /logout – log this WhatsApp account out
    /help – this help
lang-choose = Choose a language:
lang-set = Language set to English.
logout-confirm = Log WhatsApp { $phone } out of Pawang? The linked device will be removed.
logout-done = The account was logged out.
logout-kept = Not logged out.
button-yes = Yes
button-no = No
notice-logged-out = ⚠️ WhatsApp { $phone } was logged out from the phone. Link it again with /pair.
notice-banned = ⛔ WhatsApp { $phone } was banned by WhatsApp.
unknown-command = Unknown command. Type /help.
stale-button = This button is no longer valid.
