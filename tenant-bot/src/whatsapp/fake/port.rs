//! The fake's answers to the port's operations.

use async_trait::async_trait;
use crds::PhoneNumber;
use tokio::sync::broadcast;

use super::{Fake, Group, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use crate::whatsapp::{
    Error, Event, GroupInfo, MemberFailure, MemberOutcome, Membership, Result, Setting, WhatsApp,
};

#[async_trait]
impl WhatsApp for Fake {
    fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    async fn is_paired(&self) -> bool {
        self.state.lock().is_ok_and(|s| s.paired.is_some())
    }

    async fn request_pairing_code(&self, phone: &PhoneNumber) -> Result<String> {
        self.enter("request_pairing_code").await?;
        let digits = phone.as_str().to_owned();
        self.mutate(|s| {
            if s.banned {
                return Err(Error::Banned);
            }
            s.next_id += 1;
            let code = format!("FAKE{:04}", s.next_id % 10_000);
            s.own = Some(digits);
            s.pending_code = Some(code.clone());
            Ok(code)
        })
    }

    async fn cancel_pairing(&self) -> Result<()> {
        self.mutate(|s| {
            s.pending_code = None;
            Ok(())
        })
    }

    async fn connect(&self) -> Result<()> {
        self.enter("connect").await?;
        self.mutate(|s| {
            if s.banned {
                return Err(Error::Banned);
            }
            if s.paired.is_none() {
                return Err(Error::NotPaired);
            }
            s.connected = true;
            Ok(())
        })?;
        let _ = self.events.send(Event::Connected);
        Ok(())
    }

    async fn disconnect(&self) -> Result<()> {
        self.mutate(|s| {
            s.connected = false;
            Ok(())
        })?;
        let _ = self.events.send(Event::Disconnected);
        Ok(())
    }

    async fn logout(&self) -> Result<()> {
        self.enter("logout").await?;
        self.mutate(|s| {
            s.paired = None;
            s.connected = false;
            Ok(())
        })?;
        let _ = self.events.send(Event::LoggedOut);
        Ok(())
    }

    async fn groups(&self) -> Result<Vec<GroupInfo>> {
        self.online("groups").await?;
        self.mutate(|s| {
            let own = s.own.clone().unwrap_or_default();
            Ok(s.groups
                .iter()
                .filter(|(_, g)| g.members.contains(&own))
                .map(|(jid, g)| s.info(jid, g))
                .collect())
        })
    }

    async fn create_group(&self, name: &str, members: &[String]) -> Result<GroupInfo> {
        self.online("create_group").await?;
        if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(Error::Rejected(
                format!("a group name has 1 to {MAX_NAME_CHARS} characters").into(),
            ));
        }
        self.mutate(|s| {
            let own = s.own.clone().unwrap_or_default();
            let jid = s.new_group_jid();
            let mut all: Vec<String> = members
                .iter()
                .filter(|m| !m.ends_with("999") && !m.ends_with("888"))
                .cloned()
                .collect();
            all.push(own.clone());
            let group = Group {
                name: name.to_owned(),
                members: all,
                admins: vec![own],
                invite_code: s.new_invite_code(),
                ..Group::default()
            };
            let info = s.info(&jid, &group);
            s.groups.insert(jid, group);
            Ok(info)
        })
    }

    async fn invite_link(&self, group: &str, reset: bool) -> Result<String> {
        self.online("invite_link").await?;
        let new_code = reset.then(|| {
            self.state
                .lock()
                .map(|mut s| s.new_invite_code())
                .unwrap_or_default()
        });
        self.admin_of(group, |g| {
            if let Some(code) = new_code {
                g.invite_code = code;
            }
            Ok(format!("https://chat.whatsapp.com/{}", g.invite_code))
        })
    }

    async fn join_with_code(&self, code: &str) -> Result<String> {
        self.online("join_with_code").await?;
        self.mutate(|s| {
            let own = s.own.clone().unwrap_or_default();
            let jid = s.invites.get(code).cloned().ok_or(Error::InvalidInvite)?;
            let g = s.groups.get_mut(&jid).ok_or(Error::InvalidInvite)?;
            if !g.members.contains(&own) {
                g.members.push(own);
            }
            Ok(jid)
        })
    }

    async fn leave(&self, group: &str) -> Result<()> {
        self.online("leave").await?;
        self.mutate(|s| {
            let own = s.own.clone().unwrap_or_default();
            let g = s.groups.get_mut(group).ok_or(Error::GroupNotFound)?;
            if !g.members.contains(&own) {
                return Err(Error::GroupNotFound);
            }
            g.members.retain(|m| *m != own);
            g.admins.retain(|m| *m != own);
            Ok(())
        })
    }

    async fn change_members(
        &self,
        group: &str,
        change: Membership,
        numbers: &[String],
    ) -> Result<Vec<(String, MemberOutcome)>> {
        self.online("change_members").await?;
        self.admin_of(group, |g| {
            Ok(numbers
                .iter()
                .map(|n| {
                    let member = g.members.contains(n);
                    let admin = g.admins.contains(n);
                    let outcome = match change {
                        _ if n.ends_with("999") => {
                            MemberOutcome::Failed(MemberFailure::NotOnWhatsApp)
                        }
                        Membership::Add if member => {
                            MemberOutcome::Failed(MemberFailure::AlreadyMember)
                        }
                        Membership::Add if n.ends_with("888") => MemberOutcome::Invited,
                        Membership::Add => {
                            g.members.push(n.clone());
                            MemberOutcome::Ok
                        }
                        Membership::Remove | Membership::Promote if !member => {
                            MemberOutcome::Failed(MemberFailure::NotMember)
                        }
                        Membership::Remove => {
                            g.members.retain(|m| m != n);
                            g.admins.retain(|m| m != n);
                            MemberOutcome::Ok
                        }
                        Membership::Promote => {
                            if !admin {
                                g.admins.push(n.clone());
                            }
                            MemberOutcome::Ok
                        }
                        Membership::Demote if !admin => {
                            MemberOutcome::Failed(MemberFailure::NotAdmin)
                        }
                        Membership::Demote => {
                            g.admins.retain(|m| m != n);
                            MemberOutcome::Ok
                        }
                    };
                    (n.clone(), outcome)
                })
                .collect())
        })
    }

    async fn set_description(&self, group: &str, text: &str) -> Result<()> {
        self.online("set_description").await?;
        if text.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Error::Rejected(
                format!("a description has at most {MAX_DESCRIPTION_CHARS} characters").into(),
            ));
        }
        self.admin_of(group, |g| {
            g.description = text.to_owned();
            Ok(())
        })
    }

    async fn set_photo(&self, group: &str, jpeg: &[u8]) -> Result<()> {
        self.online("set_photo").await?;
        if !jpeg.starts_with(&[0xFF, 0xD8]) {
            return Err(Error::Rejected("the photo is not a JPEG".into()));
        }
        self.admin_of(group, |g| {
            g.photo_bytes = jpeg.len();
            Ok(())
        })
    }

    async fn set_setting(&self, group: &str, setting: Setting) -> Result<()> {
        self.online("set_setting").await?;
        if let Setting::DisappearingSeconds(s) = setting
            && ![0, 86_400, 604_800, 7_776_000].contains(&s)
        {
            return Err(Error::Rejected("unsupported disappearing timer".into()));
        }
        self.admin_of(group, |g| {
            g.settings.push(setting);
            Ok(())
        })
    }

    async fn join_requests(&self, group: &str) -> Result<Vec<String>> {
        self.online("join_requests").await?;
        self.admin_of(group, |g| Ok(g.join_requests.clone()))
    }

    async fn answer_join_requests(
        &self,
        group: &str,
        numbers: &[String],
        approve: bool,
    ) -> Result<()> {
        self.online("answer_join_requests").await?;
        self.admin_of(group, |g| {
            for n in numbers {
                if let Some(i) = g.join_requests.iter().position(|r| r == n) {
                    g.join_requests.remove(i);
                    if approve {
                        g.members.push(n.clone());
                    }
                }
            }
            Ok(())
        })
    }

    async fn send_text(&self, group: &str, text: &str) -> Result<()> {
        self.online("send_text").await?;
        self.mutate(|s| {
            let own = s.own.clone().unwrap_or_default();
            let g = s.groups.get(group).ok_or(Error::GroupNotFound)?;
            if !g.members.contains(&own) {
                return Err(Error::GroupNotFound);
            }
            s.sent.push((group.to_owned(), text.to_owned()));
            Ok(())
        })
    }
}
