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
    /groups – grup WhatsApp Anda: daftar, cari, ekspor
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
notice-replaced = ⚠️ WhatsApp { $phone } dibuka oleh program lain dengan tautan yang sama (bot lama yang masih berjalan dengan salinannya?), dan WhatsApp memilih program itu. Hentikan program lain itu; Pawang tersambung lagi saat akun ini Anda pakai berikutnya.
notice-banned = ⛔ WhatsApp { $phone } diblokir oleh WhatsApp.
unknown-command = Perintah tidak dikenal. Ketik /help.
stale-button = Tombol ini sudah tidak berlaku.

# Pesan pintu depan dalam bahasa Indonesia.

start-welcome =
    👋 Selamat datang di Pawang: kelola grup WhatsApp Anda dari Telegram.

    Hubungkan akun WhatsApp untuk mulai: ketuk tombol atau kirim /pair diikuti nomornya, misalnya /pair 0812-3456-7890.
# The front door's /help: this heading, then a line per command it answers.
help-front-door = Perintah:
access-denied-pair = 🔒 Anda belum menghubungkan akun WhatsApp, jadi itu belum tersedia. Gunakan /pair untuk menghubungkan.
access-not-allowed = Maaf, bot ini privat dan akun Telegram Anda tidak ada di daftarnya. Minta akses kepada admin bot.
slow-down = ⏳ Terlalu banyak pesan sekaligus; mohon sedikit lebih pelan.
busy = ⏳ Pesan Anda sebelumnya masih diproses; coba lagi sebentar lagi.
button-link = 🔗 Hubungkan WhatsApp
button-link-another = ➕ Hubungkan akun lain
pair-ask-number = Kirim nomor WhatsApp yang akan dihubungkan, misalnya 0812-3456-7890 atau +62 812-3456-7890. /cancel untuk batal.
pair-input-cancelled = Penghubungan dibatalkan.
pair-preparing = ⚙️ Menyiapkan WhatsApp { $phone }… Kode pairing menyusul sebentar lagi.
pair-awaiting = 📨 WhatsApp { $phone } siap: kode pairing ada di pesan berikutnya.
pair-linked = ✅ WhatsApp { $phone } terhubung dan sekarang menjadi akun aktif Anda. /menu untuk membukanya.
pair-failed-start = ❌ WhatsApp { $phone } tidak dapat dijalankan. Coba lagi nanti atau hubungi admin.
pair-taken = Nomor ini sudah terhubung.
pair-yours-already = Anda sudah menghubungkan { $phone }; lihat /accounts.
pair-removed = Pairing dibatalkan dan { $phone } dihapus.
quota-user = Anda sudah mencapai batas { $max } akun. Hapus satu di /accounts terlebih dahulu.
quota-install = Bot ini sudah mencapai batas jumlah akun. Hubungi admin.
error-try-later = Terjadi kesalahan di sisi kami; coba lagi dalam satu menit.
phone-error-empty = Kirim nomor WhatsApp Anda, misalnya 0812-3456-7890.
phone-error-not-a-number = Itu bukan nomor telepon; gunakan angka saja, boleh diawali +.
phone-error-too-short = Nomor terlalu pendek.
phone-error-too-long = Nomor terlalu panjang.
phone-error-country-code = Kode negara tidak dikenal; periksa angka setelah +.
phone-error-invalid = Nomor ini tidak valid; periksa lagi angkanya.
accounts-title = 🗂 Akun WhatsApp Anda:
accounts-none = Anda belum menghubungkan akun. Gunakan /pair untuk menghubungkan.
accounts-line = { $marker } { $phone } – { $phase }
button-use = ▶️ Pakai { $phone }
button-delete = 🗑 { $phone }
accounts-switched = Sekarang memakai { $phone }.
delete-confirm = Hapus WhatsApp { $phone } dari Pawang? Akun akan di-logout dan datanya dihapus.
account-deleted = { $phone } sedang dihapus.
button-not-yours = Tombol ini milik akun yang bukan milik Anda.
tenant-starting = ⏳ Akun Anda { $phone } sedang dijalankan; coba lagi sebentar lagi.
tenant-not-connected = ⚠️ Akun Anda { $phone } sedang tidak dapat dihubungi ({ $phase }); coba lagi sebentar.
phase-provisioning = sedang dijalankan
phase-awaiting-pairing = menunggu pairing
phase-connected = terhubung
phase-disconnected = terputus
phase-logged-out = logout
phase-banned = diblokir
phase-suspended = ditangguhkan
phase-failed = gagal
admin-title = 🛠 Akun: { $total }
admin-phase-line = { $phase }: { $count }
admin-user-line = Pengguna { $user }: { $accounts }
admin-denied = Hanya admin yang boleh melakukan itu.
button-suspend = ⏸ { $phone }
button-resume = ▶️ { $phone }
admin-suspended = { $phone } ditangguhkan.
admin-resumed = { $phone } dilanjutkan.
command-start = Mulai
command-menu = Dasbor
command-pair = Hubungkan akun WhatsApp
command-accounts = Akun Anda
command-lang = Bahasa
command-help = Bantuan
command-logout = Logout akun aktif
command-pair-argument = <nomor>
command-pair-help = hubungkan akun WhatsApp
command-accounts-help = akun yang terhubung
command-lang-help = ganti bahasa
command-help-help = bantuan ini

# Fitur grup: masukan dalam bahasa Indonesia.

selection-empty = Belum ada yang dipilih. Ketik nomor grup, misalnya 1-3,7, atau all.
selection-malformed = "{ $token }" bukan nomor, rentang, atau all.
selection-out-of-range = Nomor { $number } tidak ada; pilih 1 sampai { $max }.
selection-reversed = Rentang { $from }-{ $to } terbalik; tulis { $to }-{ $from }.
selection-no-match = Tidak ada grup yang cocok.
input-file-empty = Berkas kosong.
input-file-too-large = Berkas terlalu besar.
input-file-not-text = Berkas ini bukan teks biasa (UTF-8).
input-vcf-no-cards = Berkas ini tidak berisi kontak vCard.
input-vcf-no-numbers = Tidak ada kontak dengan nomor telepon di berkas ini.
groups-page = 👥 Grup (halaman { $page } dari { $pages }, total { $total }):
groups-line = { $number }. { $name } ({ $members } anggota)
groups-line-admin = { $number }. { $name } ({ $members } anggota) 👑
groups-empty = Belum ada grup. Ketuk Perbarui untuk mengambilnya dari WhatsApp.
groups-refreshed = Daftar grup diperbarui: { $count } grup.
groups-refresh-failed = Grup tidak dapat diambil dari WhatsApp: { $reason }
groups-search-ask = Kirim sebagian nama grup.
groups-search-found = Grup dengan "{ $text }" di namanya: { $count }
groups-search-none = Tidak ada nama grup yang mengandung "{ $text }".
groups-export-caption = { $count } grup
button-refresh = 🔄 Perbarui
button-search = 🔎 Cari
button-export-txt = 📄 Ekspor TXT
button-export-csv = 📊 Ekspor CSV
command-groups = Grup WhatsApp Anda
bulk-title-invite-links = Link undangan
bulk-select = Grup yang mana? Kirim nomornya (misalnya 1-3,7 atau all), pola seperti *toko*, atau namanya satu per baris.
bulk-unknown-names = Tidak ada grup bernama: { $names }
bulk-confirm = { $title } untuk { $count } grup, jeda { $delay } detik:
bulk-started = ⏳ { $title }: dimulai…
bulk-progress = ⏳ { $title }: { $decided }/{ $total } (✅ { $ok } ❌ { $failed }) { $bar } sisa sekitar { $left }
bulk-done = { $title }: ✅ { $ok } berhasil, ❌ { $failed } gagal, { $skipped } tidak dicoba.
bulk-busy = Ada pekerjaan lain yang sedang berjalan di akun ini; batalkan atau tunggu sampai selesai.
bulk-aborted = Tidak ada yang dijalankan.
bulk-not-saved = ⚠️ { $title } tidak dimulai: tidak dapat disimpan (penyimpanan akun ini mungkin penuh). Tidak ada yang diubah; coba lagi nanti.
bulk-paused-storage = ⏸ { $title } dijeda: kemajuannya tidak dapat disimpan (penyimpanan akun ini mungkin penuh). Pekerjaan berlanjut sendiri begitu penyimpanan berfungsi lagi, tanpa mengulang grup.
button-start = ▶️ Mulai
button-invite-links = 🔗 Link undangan
activity-title = 🕘 Aktivitas terbaru:
activity-none = Belum ada.
activity-paired = WhatsApp terhubung
activity-logged-out = logout dari ponsel
activity-banned = diblokir WhatsApp
activity-replaced = program lain mengambil alih tautan
bulk-title-leave = Keluar dari grup
bulk-farewell-ask = Kirim pesan perpisahan untuk dikirim sebelum keluar, atau /skip.
button-leave = 🚪 Keluar dari grup
bulk-title-description = Deskripsi baru
bulk-description-ask = Kirim deskripsi baru (paling banyak { $max } karakter).
bulk-description-too-long = Deskripsi itu { $length } karakter; WhatsApp membolehkan { $max }. Kirim yang lebih pendek.
button-description = 📝 Deskripsi

button-join = 🔗➕ Gabung lewat link
button-create = 🆕 Buat grup
button-add = ➕ Tambah anggota
button-promote = 👑 Jadikan admin
button-demote = ⬇️ Copot admin
button-photo = 🖼 Foto
button-settings = ⚙️ Pengaturan
button-requests = 🙋 Permintaan gabung
button-broadcast = 📣 Siaran
button-continue = ➡️ Lanjut
button-delay-other = ✏️ Lainnya
button-reset = 🔁 Link baru ya/tidak
button-requests-list = 📋 Daftar
button-requests-approve = ✅ Setujui semua
button-requests-reject = ❌ Tolak semua
bulk-title-add = Tambah anggota
bulk-title-promote = Jadikan admin
bulk-title-demote = Copot admin
bulk-title-photo = Foto baru
bulk-title-settings = Pengaturan grup
bulk-title-requests = Permintaan bergabung
bulk-title-broadcast = Siaran
bulk-title-create = Buat grup
bulk-title-join = Gabung lewat link
bulk-numbers-ask = Kirim nomor telepon, satu per baris atau dipisah koma, atau unggah berkas .txt atau .vcf.
bulk-members-ask = Kirim nomor yang ditambahkan ke setiap grup baru (teks, .txt atau .vcf), atau /skip.
bulk-photo-ask = Kirim fotonya (sebagai foto atau berkas: JPEG, PNG, WebP, GIF atau BMP). Foto dipotong persegi dari tengah.
bulk-requests-ask = Permintaan bergabung mau diapakan?
bulk-variants-ask = Kirim pesan yang akan diposting. Kirim pesan lain untuk menambah variasi (grup mendapatkannya bergiliran), lalu /done.
bulk-variant-saved = Variasi { $count } disimpan. Kirim lagi, atau ketuk Selesai.
bulk-variant-too-long = Satu pesan paling banyak { $max } karakter.
bulk-variants-full = Paling banyak { $max } variasi; ketuk Selesai.
bulk-variants-count = Variasi pesan: { $count }
button-done = ✅ Selesai
bulk-names-ask = Kirim nama dasar dan jumlah seperti "Toko x 10" (membuat Toko 1 sampai Toko 10), atau nama-nama satu per baris (atau berkas .txt), paling banyak { $count } grup.
bulk-links-ask = Kirim link undangan (chat.whatsapp.com/…), sebagai teks atau berkas .txt.
bulk-numbers-found = Nomor: { $count }
bulk-numbers-ignored = Diabaikan { $count }: { $names }
bulk-names-duplicates = Nama berulang dibuat sekali: { $count }
bulk-links-invalid = Bukan link undangan WhatsApp ({ $count }): { $names }
bulk-links-duplicates = Link berulang digabung sekali: { $count }
bulk-reset-on = 🔁 Link baru: ya (link lama tidak berlaku lagi)
bulk-reset-off = 🔁 Link baru: tidak
bulk-requests-list = 📋 Tampilkan yang menunggu
bulk-requests-approve = ✅ Setujui semua yang menunggu
bulk-requests-reject = ❌ Tolak semua yang menunggu
bulk-delay-ask = Kirim jeda antar item dalam detik (0 sampai { $max }).
bulk-delay-invalid = Kirim bilangan bulat detik dari 0 sampai { $max }.
settings-ask = Pilih pengaturan yang diubah; ketuk nilainya lagi untuk membiarkan pengaturan itu.
settings-ask-optional = Pengaturan untuk grup baru (boleh tidak); ketuk Lanjut jika selesai.
settings-none = Pilih setidaknya satu pengaturan.
settings-send = Yang boleh mengirim pesan
settings-edit = Yang boleh mengubah info grup
settings-add = Yang boleh menambah anggota
settings-approval = Setujui anggota baru
settings-disappearing = Pesan sementara
settings-everyone = semua anggota
settings-admins = hanya admin
settings-on = aktif
settings-off = nonaktif
settings-24h = 24 jam
settings-7d = 7 hari
settings-90d = 90 hari
settings-skip = lewati
input-numbers-none = Tidak ada nomor telepon yang valid. Gunakan format internasional, misalnya +62 812-3456-7890.
input-numbers-too-many = { $count } nomor; paling banyak { $max } sekaligus.
input-links-none = Tidak ada link undangan WhatsApp. { $names }
input-links-too-many = { $count } link; paling banyak { $max } sekaligus.
input-names-empty = Kirim setidaknya satu nama grup.
input-names-count = { $count } grup? Pilih 1 sampai { $max }.
input-names-too-many = { $count } nama; paling banyak { $max } sekaligus.
input-names-too-long = "{ $name }" terlalu panjang; WhatsApp membolehkan { $length } karakter.
input-file-unreadable = Berkas tidak dapat diambil dari Telegram; kirim ulang.
upload-unexpected = Berkas hanya dibaca saat ada pertanyaan yang memintanya.
input-photo-empty = Berkas kosong.
input-photo-too-large = Ukuran gambar { $size }; kirim yang paling besar { $limit }.
input-photo-not-image = Ini bukan gambar yang bisa dibaca. Kirim JPEG, PNG, WebP, GIF atau BMP.
input-photo-too-small = Gambar berukuran { $width }×{ $height } piksel; WhatsApp butuh minimal { $min }×{ $min }.
input-photo-dimensions = Gambar terlalu besar dalam piksel; gunakan paling besar { $max }×{ $max }.
result-added = ditambahkan
result-removed = dikeluarkan
result-promoted = dijadikan admin
result-demoted = dicopot dari admin
result-invited = diundang (privasi)
result-failed = gagal
result-unchanged = tidak berubah saat diperiksa
member-not-on-whatsapp = tidak memakai WhatsApp
member-already = sudah menjadi anggota
member-not-member = bukan anggota
member-not-admin = bukan admin
member-left-recently = baru saja keluar; bisa ditambahkan lagi nanti
member-group-full = grup sudah penuh
member-not-allowed = pengaturan privasinya tidak mengizinkan
member-other = galat WhatsApp { $code }
whatsapp-error-rate-limited = WhatsApp terus meminta untuk memperlambat
whatsapp-error-transient = gangguan sementara WhatsApp ({ $reason })
whatsapp-error-not-paired = akun tidak tertaut
whatsapp-error-banned = akun diblokir
whatsapp-error-group-not-found = grup tidak ada atau akun tidak ada di dalamnya
whatsapp-error-not-admin = akun ini bukan admin grup ini
whatsapp-error-invalid-invite = link undangan tidak valid atau kedaluwarsa
whatsapp-error-rejected = ditolak WhatsApp: { $reason }
activity-imported = dari bot lama: { $detail }
