# Pesan tenant dalam Bahasa Indonesia (bahasa bawaan).

pairing-code =
    🔗 Kode pairing untuk { $phone }:

    { $code }

    1. Buka WhatsApp di ponsel.
    2. Ketuk ⋮ atau Pengaturan › Perangkat tertaut › Tautkan perangkat.
    3. Pilih "Tautkan dengan nomor telepon saja".
    4. Masukkan kode di atas.

    Kode berlaku { $remaining } lagi.
pairing-passkey-hint = Jika WhatsApp meminta verifikasi tambahan (passkey), selesaikan di ponsel lalu masukkan kodenya.
pairing-done = ✅ WhatsApp { $name } tersambung.
pairing-timeout = ⌛ Waktu pairing habis. Ketuk Coba lagi untuk kode baru.
pairing-cancelled = Pairing dibatalkan.
pairing-rate-limited = ⏳ WhatsApp membatasi permintaan kode. Coba lagi dalam { $minutes } menit.
pairing-retrying = Gangguan sementara saat meminta kode; mencoba lagi…
pairing-failed = ❌ Pairing gagal: { $reason }
button-retry = 🔁 Coba lagi
button-cancel = ✖️ Batal
menu-title = 📱 Dasbor
menu-account = Akun: { $phone } ({ $name })
menu-state = Status: { $state }
menu-groups = Grup: { $count }
menu-jobs = Tugas berjalan: { $count }
state-connected = tersambung
state-disconnected = terputus
state-awaiting-pairing = menunggu pairing
state-logged-out = keluar dari ponsel
state-banned = diblokir WhatsApp
button-groups = 👥 Grup
button-accounts = 🗂 Akun
button-activity = 🕘 Aktivitas
button-language = 🌐 Bahasa
button-help = ❓ Bantuan
button-logout = 🚪 Keluar
help =
    Perintah:
    /menu – dasbor akun
    /lang – ganti bahasa
    /logout – keluarkan akun WhatsApp ini
    /help – bantuan ini
lang-choose = Pilih bahasa:
lang-set = Bahasa diganti ke Bahasa Indonesia.
logout-confirm = Keluarkan WhatsApp { $phone } dari Pawang? Perangkat tertaut akan dihapus.
logout-done = Akun telah dikeluarkan.
logout-kept = Tidak jadi keluar.
button-yes = Ya
button-no = Tidak
notice-logged-out = ⚠️ WhatsApp { $phone } dikeluarkan dari ponsel. Tautkan lagi dengan /pair.
notice-banned = ⛔ WhatsApp { $phone } diblokir oleh WhatsApp.
unknown-command = Perintah tidak dikenal. Ketik /help.
stale-button = Tombol ini sudah tidak berlaku.
