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
    /groups – your WhatsApp groups: list, search, export
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
notice-replaced = ⚠️ WhatsApp { $phone } was opened by another program with this same link (an old bot still running on a copy of it?), and WhatsApp let that one in. Stop the other program; Pawang connects again the next time you use this account.
notice-banned = ⛔ WhatsApp { $phone } was banned by WhatsApp.
unknown-command = Unknown command. Type /help.
stale-button = This button is no longer valid.

# Front door messages in English.

start-welcome =
    👋 Welcome to Pawang: manage your WhatsApp groups from Telegram.

    Link a WhatsApp account to begin: tap the button or send /pair followed by the number, e.g. /pair +62 812-3456-7890.
# The front door's /help: this heading, then a line per command it answers.
help-front-door = Commands:
access-denied-pair = 🔒 You have no WhatsApp account linked yet, so that is not available. Use /pair to link one.
access-not-allowed = Sorry, this bot is private and your Telegram account is not on its list. Ask the bot's admin for access.
slow-down = ⏳ Too many messages at once; slow down a little, please.
busy = ⏳ Still working on your earlier messages; try again in a moment.
button-link = 🔗 Link WhatsApp
button-link-another = ➕ Link another account
pair-ask-number = Send the WhatsApp number to link, with its country code, e.g. +62 812-3456-7890. A number starting with 0 is read as Indonesian. /cancel to stop.
pair-input-cancelled = Linking cancelled.
pair-preparing = ⚙️ Preparing WhatsApp { $phone }… The pairing code follows in a moment.
pair-awaiting = 📨 WhatsApp { $phone } is ready: the pairing code is in the next message.
pair-linked = ✅ WhatsApp { $phone } is linked and is now your active account. /menu opens it.
pair-failed-start = ❌ WhatsApp { $phone } could not be started. Try again later or ask the admin.
pair-taken = This number is linked already.
pair-yours-already = You have linked { $phone } already; see /accounts.
pair-removed = The pairing was cancelled and { $phone } was removed.
quota-user = You have reached the limit of { $max } accounts. Delete one in /accounts first.
quota-install = This bot has reached its limit of accounts. Ask the admin.
error-try-later = Something went wrong on our side; please try again in a minute.
phone-error-empty = Send your WhatsApp number, e.g. +62 812-3456-7890.
phone-error-not-a-number = That is not a phone number; use digits only, optionally starting with +.
phone-error-too-short = The number is too short.
phone-error-too-long = The number is too long.
phone-error-country-code = Unknown country code; check the digits after +.
phone-error-invalid = This number is not valid; please check the digits.
accounts-title = 🗂 Your WhatsApp accounts:
accounts-none = You have no linked accounts. Use /pair to link one.
accounts-line = { $marker } { $phone } – { $phase }
button-use = ▶️ Use { $phone }
button-delete = 🗑 { $phone }
accounts-switched = Now using { $phone }.
delete-confirm = Delete WhatsApp { $phone } from Pawang? It will be logged out and its data removed.
account-deleted = { $phone } is being removed.
button-not-yours = This button belongs to an account that is not yours.
tenant-starting = ⏳ Your account { $phone } is starting; try again in a moment.
tenant-not-connected = ⚠️ Your account { $phone } is not reachable right now ({ $phase }); try again shortly.
phase-provisioning = starting
phase-awaiting-pairing = waiting for pairing
phase-connected = connected
phase-disconnected = disconnected
phase-logged-out = logged out
phase-banned = banned
phase-suspended = suspended
phase-failed = failed
admin-title = 🛠 Accounts: { $total }
admin-phase-line = { $phase }: { $count }
admin-user-line = User { $user }: { $accounts }
admin-denied = Only admins may do that.
button-suspend = ⏸ { $phone }
button-resume = ▶️ { $phone }
admin-suspended = { $phone } is suspended.
admin-resumed = { $phone } is resumed.
command-start = Start
command-menu = Dashboard
command-pair = Link a WhatsApp account
command-accounts = Your accounts
command-lang = Language
command-help = Help
command-logout = Log the active account out
command-pair-argument = <number>
command-pair-help = link a WhatsApp account
command-accounts-help = your linked accounts
command-lang-help = change language
command-help-help = this help

# Group features: input in English.

selection-empty = Nothing selected. Type group numbers, e.g. 1-3,7, or all.
selection-malformed = "{ $token }" is not a number, a range or all.
selection-out-of-range = There is no number { $number }; choose 1 to { $max }.
selection-reversed = The range { $from }-{ $to } is backwards; write { $to }-{ $from }.
selection-no-match = No group matched.
input-file-empty = The file is empty.
input-file-too-large = The file is too large.
input-file-not-text = This file is not plain text (UTF-8).
input-vcf-no-cards = This file holds no vCard contacts.
input-vcf-no-numbers = No contact in this file has a phone number.
groups-page = 👥 Groups (page { $page } of { $pages }, { $total } in all):
groups-line = { $number }. { $name } ({ $members } members)
groups-line-admin = { $number }. { $name } ({ $members } members) 👑
groups-empty = No groups yet. Tap Refresh to fetch them from WhatsApp.
groups-refreshed = Group list refreshed: { $count } groups.
groups-refresh-failed = Could not fetch the groups from WhatsApp: { $reason }
groups-search-ask = Send part of a group name.
groups-search-found = Groups with "{ $text }" in the name: { $count }
groups-search-none = No group name contains "{ $text }".
groups-export-caption = { $count } groups
button-refresh = 🔄 Refresh
button-search = 🔎 Search
button-export-txt = 📄 Export TXT
button-export-csv = 📊 Export CSV
command-groups = Your WhatsApp groups
bulk-title-invite-links = Invite links
bulk-select = Which groups? Send their numbers (e.g. 1-3,7 or all), a pattern like *shop*, or the names one per line.
bulk-unknown-names = No group is called: { $names }
bulk-confirm = { $title } for { $count } groups, { $delay } seconds apart:
bulk-started = ⏳ { $title }: starting…
bulk-progress = ⏳ { $title }: { $decided }/{ $total } (✅ { $ok } ❌ { $failed }) { $bar } about { $left } left
bulk-done = { $title }: ✅ { $ok } done, ❌ { $failed } failed, { $skipped } not tried.
bulk-busy = Another job is running on this account; cancel it or wait until it ends.
bulk-aborted = Nothing was started.
bulk-not-saved = ⚠️ { $title } was not started: it could not be saved (this account's storage may be full). Nothing was changed; try again later.
bulk-paused-storage = ⏸ { $title } is paused: its progress cannot be saved (this account's storage may be full). It goes on by itself once saving works again, without repeating a group.
button-start = ▶️ Start
button-invite-links = 🔗 Invite links
activity-title = 🕘 Recent activity:
activity-none = Nothing yet.
activity-paired = WhatsApp linked
activity-logged-out = logged out from the phone
activity-banned = banned by WhatsApp
activity-replaced = another program took over the link
bulk-title-leave = Leave groups
bulk-farewell-ask = Send a farewell message to post before leaving, or /skip.
button-leave = 🚪 Leave groups
bulk-title-description = New description
bulk-description-ask = Send the new description (at most { $max } characters).
bulk-description-too-long = That description has { $length } characters; WhatsApp allows { $max }. Send a shorter one.
button-description = 📝 Description

button-join = 🔗➕ Join by links
button-create = 🆕 Create groups
button-add = ➕ Add members
button-promote = 👑 Promote
button-demote = ⬇️ Demote
button-photo = 🖼 Photo
button-settings = ⚙️ Settings
button-requests = 🙋 Join requests
button-broadcast = 📣 Broadcast
button-continue = ➡️ Continue
button-delay-other = ✏️ Other
button-reset = 🔁 New links on/off
button-requests-list = 📋 List
button-requests-approve = ✅ Approve all
button-requests-reject = ❌ Reject all
bulk-title-add = Add members
bulk-title-promote = Promote to admin
bulk-title-demote = Demote admins
bulk-title-photo = New photo
bulk-title-settings = Group settings
bulk-title-requests = Join requests
bulk-title-broadcast = Broadcast
bulk-title-create = Create groups
bulk-title-join = Join by links
bulk-numbers-ask = Send the phone numbers, one per line or separated by commas, or upload a .txt or .vcf file.
bulk-members-ask = Send numbers to add to each new group (text, .txt or .vcf), or /skip.
bulk-photo-ask = Send the photo (as a photo or a file: JPEG, PNG, WebP, GIF or BMP). It is centre-cropped to a square.
bulk-requests-ask = What should happen to the requests to join?
bulk-variants-ask = Send the message to post. Send more messages to add variants (groups take them in turn), then /done.
bulk-variant-saved = Variant { $count } saved. Send another, or tap Done.
bulk-variant-too-long = A message has at most { $max } characters.
bulk-variants-full = At most { $max } variants; tap Done.
bulk-variants-count = Message variants: { $count }
button-done = ✅ Done
bulk-names-ask = Send a base name and a count like "Shop x 10" (makes Shop 1 to Shop 10), or the names one per line (or a .txt), up to { $count } groups.
bulk-links-ask = Send the invite links (chat.whatsapp.com/…), as text or a .txt file.
bulk-numbers-found = Numbers: { $count }
bulk-numbers-ignored = Ignored { $count }: { $names }
bulk-names-duplicates = Repeated names made once: { $count }
bulk-links-invalid = Not WhatsApp invite links ({ $count }): { $names }
bulk-links-duplicates = Repeated links joined once: { $count }
bulk-reset-on = 🔁 New links: yes (old links stop working)
bulk-reset-off = 🔁 New links: no
bulk-requests-list = 📋 List who is waiting
bulk-requests-approve = ✅ Approve everyone waiting
bulk-requests-reject = ❌ Reject everyone waiting
bulk-delay-ask = Send the pause between items in seconds (0 to { $max }).
bulk-delay-invalid = Send a whole number of seconds from 0 to { $max }.
settings-ask = Choose the settings to change; tap a value again to leave that setting as it is.
settings-ask-optional = Settings for the new groups (optional); tap Continue when done.
settings-none = Choose at least one setting.
settings-send = Who can send messages
settings-edit = Who can edit the group info
settings-add = Who can add members
settings-approval = Approve new members
settings-disappearing = Disappearing messages
settings-everyone = everyone
settings-admins = admins only
settings-on = on
settings-off = off
settings-24h = 24 hours
settings-7d = 7 days
settings-90d = 90 days
settings-skip = skip
input-numbers-none = No valid phone number found. Use the international form, e.g. +62 812-3456-7890.
input-numbers-too-many = { $count } numbers; at most { $max } at once.
input-links-none = No WhatsApp invite link found. { $names }
input-links-too-many = { $count } links; at most { $max } at once.
input-names-empty = Send at least one group name.
input-names-count = { $count } groups? Choose 1 to { $max }.
input-names-too-many = { $count } names; at most { $max } at once.
input-names-too-long = "{ $name }" is too long; WhatsApp allows { $length } characters.
input-file-unreadable = The file could not be fetched from Telegram; please send it again.
upload-unexpected = Files are read only when a question asks for one.
input-photo-empty = The file is empty.
input-photo-too-large = The picture is { $size }; send one of at most { $limit }.
input-photo-not-image = This is not a picture that can be read. Send a JPEG, PNG, WebP, GIF or BMP.
input-photo-too-small = The picture is { $width }×{ $height } pixels; WhatsApp needs at least { $min }×{ $min }.
input-photo-dimensions = The picture has too many pixels; use one of at most { $max }×{ $max }.
result-added = added
result-removed = removed
result-promoted = promoted
result-demoted = demoted
result-invited = invited (privacy)
result-failed = failed
result-unchanged = not changed when checked
member-not-on-whatsapp = not on WhatsApp
member-already = already a member
member-not-member = not a member
member-not-admin = not an admin
member-left-recently = left recently; can be added again later
member-group-full = the group is full
member-not-allowed = their privacy settings do not allow it
member-other = WhatsApp error { $code }
whatsapp-error-rate-limited = WhatsApp kept asking to slow down
whatsapp-error-transient = a temporary WhatsApp failure ({ $reason })
whatsapp-error-not-paired = the account is not linked
whatsapp-error-banned = the account is banned
whatsapp-error-group-not-found = the group does not exist or the account is not in it
whatsapp-error-not-admin = the account is not an admin of this group
whatsapp-error-invalid-invite = invalid or expired invite link
whatsapp-error-rejected = refused by WhatsApp: { $reason }
activity-imported = from the old bot: { $detail }
