//! The WhatsApp port on whatsapp-rust: each of the tenant's requests as
//! whatsapp-rust's calls, their failures as the port's errors.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use crds::PhoneNumber;
use tokio::sync::broadcast;
use tracing::{info, warn};
use whatsapp_rust::pair_code::PairCodeOptions;
use whatsapp_rust::prelude::*;
use whatsapp_rust::{
    GroupCreateOptions, GroupDescription, GroupParticipantOptions, JoinGroupResult, MemberAddMode,
    MembershipApprovalMode, PreviousDescription,
};

use crate::whatsapp::{
    Cause, Error, Event, GroupInfo, MemberFailure, MemberOutcome, Membership, Result, Setting,
    WhatsApp,
};

use super::convert::{classify, digits, jid, refusal};
use super::*;

#[async_trait]
impl WhatsApp for Adapter {
    fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    async fn is_paired(&self) -> bool {
        let running = self.running.lock().await;
        !running.unlinked.load(Ordering::SeqCst) && running.client.pn().is_some()
    }

    async fn request_pairing_code(&self, phone: &PhoneNumber) -> Result<String> {
        let client = self.client().await?;
        client
            .wait_for_socket(SOCKET_WAIT)
            .await
            .map_err(|e| Error::Transient(Cause::new(e)))?;
        let options = PairCodeOptions {
            phone_number: phone.as_str().to_owned(),
            ..PairCodeOptions::default()
        };
        match client.pair_with_code(options).await {
            Ok(code) => Ok(code),
            Err(error) => {
                let throttled = error.rejection().is_some_and(|r| r.is_throttled());
                if throttled {
                    return Err(Error::RateLimited {
                        retry_after: error.backoff().unwrap_or(DEFAULT_BACKOFF),
                    });
                }
                Err(classify(error))
            }
        }
    }

    async fn cancel_pairing(&self) -> Result<()> {
        let client = self.running.lock().await.client.clone();
        client.cancel_pair_code().await;
        Ok(())
    }

    async fn connect(&self) -> Result<()> {
        // An unpaired client would connect to offer pairing; that is
        // `request_pairing_code`'s to start.
        if !self.is_paired().await {
            return Err(Error::NotPaired);
        }
        self.client().await?;
        info!("connecting the stored session");
        Ok(())
    }

    async fn disconnect(&self) -> Result<()> {
        let handle = self.running.lock().await.handle.take();
        if let Some(handle) = handle {
            handle.shutdown().await;
        }
        Ok(())
    }

    async fn logout(&self) -> Result<()> {
        let mut running = self.running.lock().await;
        // Tells WhatsApp when connected; a refusal is only logged by the
        // client, and the device is unlinked here all the same.
        running.client.logout().await;
        running.unlinked.store(true, Ordering::SeqCst);
        let _ = self.events.send(Event::LoggedOut);
        self.forget(&mut running)
            .await
            .map_err(|e| Error::Transient(Cause::new(e)))
    }

    async fn groups(&self) -> Result<Vec<GroupInfo>> {
        let client = self.groups_client().await?;
        let own = client.pn().map(|j| digits(&j)).unwrap_or_default();
        let groups = client
            .groups()
            .get_participating()
            .await
            .map_err(classify)?;
        Ok(groups
            .into_iter()
            .map(|(id, meta)| {
                let number = |p: &whatsapp_rust::GroupParticipant| {
                    p.phone_number
                        .as_ref()
                        .map_or_else(|| digits(&p.jid), digits)
                };
                let members: Vec<String> = meta.participants.iter().map(number).collect();
                let admins: Vec<String> = meta
                    .participants
                    .iter()
                    .filter(|p| p.is_admin())
                    .map(number)
                    .collect();
                GroupInfo {
                    jid: id.to_string(),
                    name: meta.subject,
                    is_admin: admins.contains(&own),
                    members,
                    admins,
                }
            })
            .collect())
    }

    async fn create_group(&self, name: &str, members: &[String]) -> Result<GroupInfo> {
        let client = self.groups_client().await?;
        let participants = members
            .iter()
            .map(|m| GroupParticipantOptions::new(Jid::pn(m.as_str())))
            .collect();
        let options = GroupCreateOptions::new(name).with_participants(participants);
        let created = client
            .groups()
            .create_group(options)
            .await
            .map_err(classify)?;
        let meta = created.metadata;
        Ok(GroupInfo {
            jid: meta.id.to_string(),
            name: meta.subject,
            members: meta.participants.iter().map(|p| digits(&p.jid)).collect(),
            admins: vec![],
            is_admin: true,
        })
    }

    async fn invite_link(&self, group: &str, reset: bool) -> Result<String> {
        let client = self.groups_client().await?;
        client
            .groups()
            .get_invite_link(&jid(group)?, reset)
            .await
            .map_err(classify)
    }

    async fn join_with_code(&self, code: &str) -> Result<String> {
        let client = self.groups_client().await?;
        match client
            .groups()
            .join_with_invite_code(code)
            .await
            .map_err(classify)?
        {
            JoinGroupResult::Joined(j) | JoinGroupResult::PendingApproval(j) => Ok(j.to_string()),
        }
    }

    async fn leave(&self, group: &str) -> Result<()> {
        let client = self.groups_client().await?;
        client.groups().leave(&jid(group)?).await.map_err(classify)
    }

    async fn change_members(
        &self,
        group: &str,
        change: Membership,
        numbers: &[String],
    ) -> Result<Vec<(String, MemberOutcome)>> {
        let client = self.groups_client().await?;
        let group = jid(group)?;
        let jids: Vec<Jid> = numbers.iter().map(|n| Jid::pn(n.as_str())).collect();
        let groups = client.groups();
        let responses = match change {
            Membership::Add => groups.add_participants(&group, &jids).await,
            Membership::Remove => groups.remove_participants(&group, &jids).await,
            Membership::Promote => groups.promote_participants(&group, &jids).await,
            Membership::Demote => groups.demote_participants(&group, &jids).await,
        }
        .map_err(classify)?;
        Ok(responses
            .into_iter()
            .map(|r| {
                let number = r
                    .phone_number
                    .as_ref()
                    .map_or_else(|| digits(&r.jid), digits);
                let outcome = match (&r.add_request, &r.error) {
                    (Some(_), _) => MemberOutcome::Invited,
                    (None, None) => MemberOutcome::Ok,
                    (None, Some(error)) => {
                        MemberOutcome::Failed(MemberFailure::from_code(change, error))
                    }
                };
                (number, outcome)
            })
            .collect())
    }

    async fn set_description(&self, group: &str, text: &str) -> Result<()> {
        let client = self.groups_client().await?;
        let description =
            GroupDescription::new(text).map_err(|e| Error::Rejected(Cause::new(e)))?;
        client
            .groups()
            .set_description(
                &jid(group)?,
                Some(description),
                PreviousDescription::Resolve,
            )
            .await
            .map_err(classify)
    }

    async fn set_photo(&self, group: &str, jpeg: &[u8]) -> Result<()> {
        let client = self.groups_client().await?;
        client
            .groups()
            .set_profile_picture(&jid(group)?, jpeg.to_vec())
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn set_setting(&self, group: &str, setting: Setting) -> Result<()> {
        let client = self.groups_client().await?;
        let group = jid(group)?;
        let groups = client.groups();
        match setting {
            Setting::AdminsOnlyMessages(on) => groups.set_announce(&group, on).await,
            Setting::AdminsOnlyEditInfo(on) => groups.set_locked(&group, on).await,
            Setting::AdminsOnlyAddMembers(on) => {
                let mode = if on {
                    MemberAddMode::AdminAdd
                } else {
                    MemberAddMode::AllMemberAdd
                };
                groups.set_member_add_mode(&group, mode).await
            }
            Setting::JoinApproval(on) => {
                let mode = if on {
                    MembershipApprovalMode::On
                } else {
                    MembershipApprovalMode::Off
                };
                groups.set_membership_approval(&group, mode).await
            }
            Setting::DisappearingSeconds(seconds) => groups.set_ephemeral(&group, seconds).await,
        }
        .map_err(classify)
    }

    async fn join_requests(&self, group: &str) -> Result<Vec<String>> {
        let client = self.groups_client().await?;
        let requests = client
            .groups()
            .get_membership_requests(&jid(group)?)
            .await
            .map_err(classify)?;
        Ok(requests.iter().map(|r| digits(&r.jid)).collect())
    }

    async fn answer_join_requests(
        &self,
        group: &str,
        numbers: &[String],
        approve: bool,
    ) -> Result<()> {
        let client = self.groups_client().await?;
        let group = jid(group)?;
        let jids: Vec<Jid> = numbers.iter().map(|n| Jid::pn(n.as_str())).collect();
        let groups = client.groups();
        let answered = if approve {
            groups.approve_membership_requests(&group, &jids).await
        } else {
            groups.reject_membership_requests(&group, &jids).await
        };
        answered.map(|_| ()).map_err(classify)
    }

    async fn send_text(&self, group: &str, text: &str) -> Result<()> {
        let client = self.groups_client().await?;
        // Listening before sending: the acknowledgement may come at once.
        let mut acks = self.acks.subscribe();
        let sent = match client
            .send_message(jid(group)?, wa::Message::text(text))
            .await
        {
            Ok(sent) => sent,
            Err(error) => {
                warn!(error = %crds::naming::why(&error), "message not sent");
                return Err(classify(error));
            }
        };
        let acknowledged = tokio::time::timeout(ACK_WAIT, async {
            loop {
                match acks.recv().await {
                    Ok(ack) if ack.id == sent.message_id => return Some(ack.error),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .await;
        match acknowledged {
            Ok(Some(None)) => Ok(()),
            Ok(Some(Some(code))) => {
                warn!(code = code.as_str(), "WhatsApp refused the message");
                let text = format!("the message was refused ({code})");
                Err(refusal(code.parse().unwrap_or(0), &text, None))
            }
            Ok(None) | Err(_) => {
                info!("WhatsApp did not acknowledge the message in time; counted as sent");
                Ok(())
            }
        }
    }
}
