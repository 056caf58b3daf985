//! A bot's commands as its users see them: the command menu and `/help`,
//! both made from the bot's one `BotCommands` enum, with texts from the
//! catalog: `command-{name}` describes a command in the menu,
//! `command-{name}-help` in the help.

use crds::Language;
use teloxide::utils::command::BotCommands;

use super::Catalog;

/// What `/help` says of a bot's commands.
pub trait Help: BotCommands + Sized {
    /// Whether `/help` lists the command.
    fn helped(&self) -> bool;

    /// The catalog id of what follows the command's name in `/help`, for
    /// a command that takes an argument.
    fn argument(&self) -> Option<&'static str> {
        None
    }
}

/// The commands `C` shows (its hidden ones aside), by name, in the
/// enum's order.
pub fn listed<C: BotCommands>() -> Vec<(String, C)> {
    C::bot_commands()
        .into_iter()
        .filter_map(|listed| {
            let command = C::parse(&listed.command, "").ok()?;
            let name = listed.command.trim_start_matches('/').to_owned();
            Some((name, command))
        })
        .collect()
}

/// The command menu of `C` in `language`: each shown command's name and
/// description.
pub fn menu<C: BotCommands>(catalog: &Catalog, language: Language) -> Vec<(String, String)> {
    listed::<C>()
        .into_iter()
        .map(|(name, _)| {
            let description = catalog.text(language, &format!("command-{name}"), &[]);
            (name, description)
        })
        .collect()
}

/// The `/help` of `C` in `language`: a heading, then a line per command
/// it lists.
pub fn help<C: Help>(catalog: &Catalog, language: Language) -> String {
    let mut lines = vec![catalog.text(language, "help-title", &[])];
    for (name, command) in listed::<C>().into_iter().filter(|(_, c)| c.helped()) {
        let argument = command
            .argument()
            .map(|id| format!(" {}", catalog.text(language, id, &[])))
            .unwrap_or_default();
        let what = catalog.text(language, &format!("command-{name}-help"), &[]);
        lines.push(format!("/{name}{argument} – {what}"));
    }
    lines.join("\n")
}
