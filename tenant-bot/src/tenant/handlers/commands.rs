//! The tenant's commands: one enum that messages are parsed with and that
//! its `/help` lists, with texts from the catalog.

use crds::Language;
use teloxide::utils::command::BotCommands;

use crate::telegram::{Catalog, commands};

/// Commands the tenant understands.
#[derive(Debug, Clone, PartialEq, Eq, BotCommands)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// The dashboard.
    Menu,
    /// The account's groups.
    Groups,
    /// Language choice.
    Lang,
    /// Log the account out.
    Logout,
    /// Help.
    Help,
    /// Link the account again.
    Pair,
    /// The front door's entry point; the tenant shows its dashboard.
    Start,
}

impl commands::Help for Command {
    fn helped(&self) -> bool {
        match self {
            Self::Menu | Self::Groups | Self::Lang | Self::Logout | Self::Help => true,
            Self::Pair | Self::Start => false,
        }
    }
}

/// The tenant's `/help` in `language`.
pub fn help(catalog: &Catalog, language: Language) -> String {
    commands::help::<Command>(catalog, language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_as_the_tenant_gets_them() {
        assert!(matches!(Command::parse("/menu", ""), Ok(Command::Menu)));
        assert!(matches!(
            Command::parse("/groups extra", ""),
            Ok(Command::Groups)
        ));
        assert!(Command::parse("/MENU", "").is_err());
        assert!(Command::parse("/menu@some_bot", "").is_err());
        assert!(Command::parse("/accounts", "").is_err());
    }

    #[test]
    fn the_help_lists_the_commands_of_the_account() {
        let catalog = Catalog::new().unwrap();
        assert_eq!(
            help(&catalog, Language::En),
            "Commands:\n\
             /menu – account dashboard\n\
             /groups – your WhatsApp groups: list, search, export\n\
             /lang – change language\n\
             /logout – log this WhatsApp account out\n\
             /help – this help"
        );
        assert_eq!(
            help(&catalog, Language::Id),
            "Perintah:\n\
             /menu – dasbor akun\n\
             /groups – grup WhatsApp Anda: daftar, cari, ekspor\n\
             /lang – ganti bahasa\n\
             /logout – keluarkan akun WhatsApp ini\n\
             /help – bantuan ini"
        );
    }
}
