//! The bot's commands: one enum that the front door parses messages with,
//! that its `/help` lists and that the command menu (`setMyCommands`) is
//! made of. Descriptions come from the catalog, in the user's language.

use crds::Language;
use teloxide::utils::command::BotCommands;

use crate::telegram::{Catalog, commands};

/// Every command of the bot. The front door answers some of them itself
/// (to users without an account, or always); the others go to the
/// user's tenant.
#[derive(Debug, Clone, PartialEq, Eq, BotCommands)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// The welcome, or the active account's dashboard.
    Start,
    /// The active account's dashboard.
    Menu,
    /// Link a WhatsApp account, optionally naming its number.
    Pair(String),
    /// The user's accounts.
    Accounts,
    /// The language.
    Lang,
    /// Help.
    Help,
    /// Log the active account out.
    Logout,
    /// Every account of the install, for admins.
    #[command(hide)]
    Admin,
    /// Stop typing a number to link.
    #[command(hide)]
    Cancel,
}

impl commands::Help for Command {
    /// Those the front door answers to users without an account, the
    /// welcome aside.
    fn helped(&self) -> bool {
        match self {
            Self::Pair(_) | Self::Accounts | Self::Lang | Self::Help => true,
            Self::Start | Self::Menu | Self::Logout | Self::Admin | Self::Cancel => false,
        }
    }

    fn argument(&self) -> Option<&'static str> {
        match self {
            Self::Pair(_) => Some("command-pair-argument"),
            _ => None,
        }
    }
}

/// The command menu in `language`: each command's name and description.
pub fn menu(catalog: &Catalog, language: Language) -> Vec<(String, String)> {
    commands::menu::<Command>(catalog, language)
}

/// The front door's `/help` in `language`.
pub fn help(catalog: &Catalog, language: Language) -> String {
    commands::help::<Command>(catalog, language)
}

/// What a message says, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// One of the bot's commands.
    Command(Command),
    /// A command the bot does not know, which its tenant may.
    OtherCommand,
    /// Text that is no command.
    Text(String),
    /// No text at all.
    Nothing,
}

impl Said {
    /// Reads `text`. A command is known in any case and whichever bot it
    /// names: `/PAIR@some_bot  0812` is `/pair 0812`.
    pub fn read(text: Option<&str>) -> Self {
        let text = text.unwrap_or_default();
        if text.is_empty() {
            return Self::Nothing;
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Self::Text(text.to_owned());
        };
        let (head, arguments) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let name = head.split('@').next().unwrap_or_default();
        let plain = format!("/{} {}", name.to_ascii_lowercase(), arguments.trim());
        match Command::parse(&plain, "") {
            Ok(command) => Self::Command(command),
            Err(_) => Self::OtherCommand,
        }
    }

    /// Whether the message is a command, known or not.
    pub fn is_command(&self) -> bool {
        matches!(self, Self::Command(_) | Self::OtherCommand)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_their_arguments() {
        let pair = |number: &str| Said::Command(Command::Pair(number.to_owned()));
        assert_eq!(Said::read(Some("/pair 0812 3456")), pair("0812 3456"));
        assert_eq!(
            Said::read(Some("/pair@pawang_bot  +62 812")),
            pair("+62 812")
        );
        assert_eq!(Said::read(Some("/pair\n0812 ")), pair("0812"));
        assert_eq!(Said::read(Some("/pair")), pair(""));
        assert_eq!(Said::read(Some("/MENU")), Said::Command(Command::Menu));
        assert_eq!(
            Said::read(Some("/start deep-link")),
            Said::Command(Command::Start)
        );
        assert_eq!(Said::read(Some("/admin")), Said::Command(Command::Admin));
        assert_eq!(Said::read(Some("/groups")), Said::OtherCommand);
        assert_eq!(Said::read(Some("/")), Said::OtherCommand);
        assert_eq!(Said::read(Some("hello")), Said::Text("hello".to_owned()));
        assert_eq!(Said::read(Some(" /pair")), Said::Text(" /pair".to_owned()));
        assert_eq!(Said::read(Some("")), Said::Nothing);
        assert_eq!(Said::read(None), Said::Nothing);
    }

    #[test]
    fn the_menu_lists_the_visible_commands_in_order() {
        let catalog = Catalog::new().unwrap();
        let menu = menu(&catalog, Language::En);
        let names: Vec<_> = menu.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "start", "menu", "pair", "accounts", "lang", "help", "logout"
            ]
        );
        assert_eq!(menu[2].1, "Link a WhatsApp account");
    }

    #[test]
    fn the_help_lists_what_the_front_door_answers() {
        let catalog = Catalog::new().unwrap();
        assert_eq!(
            help(&catalog, Language::En),
            "Commands:\n\
             /pair <number> – link a WhatsApp account\n\
             /accounts – your linked accounts\n\
             /lang – change language\n\
             /help – this help"
        );
        assert_eq!(
            help(&catalog, Language::Id),
            "Perintah:\n\
             /pair <nomor> – hubungkan akun WhatsApp\n\
             /accounts – akun yang terhubung\n\
             /lang – ganti bahasa\n\
             /help – bantuan ini"
        );
    }
}
