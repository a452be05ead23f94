//! Teams: the ones I belong to (admins: all), creating one, and a team's page with members,
//! namespaces and — for owners and admins — its management.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::dashboard::NamespaceTable;
use crate::api::namespaces::CreateNamespace;
use crate::api::teams::{get_team, list_teams, CreateTeam, DeleteTeam, RemoveTeamMember, SetTeamMember, UpdateTeam};
use crate::domain::dto::TeamDetail;
use crate::domain::{Role, Visibility};
use crate::ui::components::{
    reset_on_success, style, toast_error, toast_ok, toast_outcome, Empty, Loading, Modal, PageError, RoleBadge,
};

#[component]
pub fn TeamsPage() -> impl IntoView {
    let create = ServerAction::<CreateTeam>::new();
    let teams = Resource::new(move || create.version().get(), |_| list_teams());
    toast_outcome(create, "Team created", None);
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(create, form);
    view! {
        <leptos_meta::Title text="Teams · wharf"/>
        <h1 class=format!("{} mb-4", style::H1)>"Teams"</h1>
        <section class=format!("mb-6 p-4 {}", style::CARD)>
            <h2 class=style::H2>"Create a team"</h2>
            <ActionForm action=create node_ref=form attr:class="grid grid-cols-1 gap-3 sm:grid-cols-3 sm:items-end">
                <div>
                    <label for="team-name" class=style::LABEL>"Name"</label>
                    <input id="team-name" name="name" type="text" required class=style::INPUT/>
                </div>
                <div>
                    <label for="team-description" class=style::LABEL>"Description"</label>
                    <input id="team-description" name="description" type="text" class=style::INPUT/>
                </div>
                <div><button type="submit" class=style::BUTTON disabled=create.pending()>"Create team"</button></div>
            </ActionForm>
        </section>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match teams.await {
                    Ok(list) if list.is_empty() => view! { <Empty text="You are in no team yet."/> }.into_any(),
                    Ok(list) => view! {
                        <div class=format!("relative overflow-x-auto {}", style::CARD)>
                            <table class=style::TABLE data-testid="teams">
                                <thead class=style::THEAD><tr>
                                    <th scope="col" class=style::TH>"Team"</th>
                                    <th scope="col" class=style::TH>"Description"</th>
                                    <th scope="col" class=format!("{} text-right", style::TH)>"Members"</th>
                                    <th scope="col" class=format!("{} text-right", style::TH)>"Namespaces"</th>
                                    <th scope="col" class=style::TH>"My role"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| view! {
                                        <tr class=style::TR>
                                            <td class=style::TD><A href=format!("/teams/{}", t.name) attr:class=style::LINK>{t.name.clone()}</A></td>
                                            <td class=format!("{} text-slate-600", style::TD)>{t.description.clone()}</td>
                                            <td class=format!("{} text-right tabular-nums", style::TD)>{t.members}</td>
                                            <td class=format!("{} text-right tabular-nums", style::TD)>{t.namespaces}</td>
                                            <td class=style::TD><RoleBadge role=t.my_role/></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <PageError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name")).unwrap_or_default();
    let changed = RwSignal::new(0u64);
    let team = Resource::new(move || (name(), changed.get()), |(n, _)| get_team(n));
    view! {
        <leptos_meta::Title text=move || format!("{} · team · wharf", name())/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match team.await {
                    Ok(t) => view! { <TeamView team=t changed/> }.into_any(),
                    Err(e) => view! { <PageError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TeamView(team: TeamDetail, changed: RwSignal<u64>) -> impl IntoView {
    let s = team.summary.clone();
    let manage = team.can_manage;
    view! {
        <div class="mb-6">
            <div class="flex flex-wrap items-center gap-3">
                <h1 class=style::H1 data-testid="team-name">{s.name.clone()}</h1>
                <RoleBadge role=s.my_role/>
            </div>
            {(!s.description.is_empty()).then(|| view! { <p class="mt-1 text-slate-600">{s.description.clone()}</p> })}
        </div>
        <div class="grid grid-cols-1 gap-6 lg:grid-cols-2">
            <Members team=team.clone() changed/>
            <section>
                <h2 class=style::H2>"Namespaces"</h2>
                <NamespaceTable items=team.namespaces.clone() testid="team-namespaces"/>
                {manage.then(|| view! { <NewNamespace team=s.name.clone() changed/> })}
            </section>
        </div>
        {manage.then(|| view! { <TeamSettings team=team.clone() changed/> })}
    }
}

#[component]
fn Members(team: TeamDetail, changed: RwSignal<u64>) -> impl IntoView {
    let set = ServerAction::<SetTeamMember>::new();
    let remove = ServerAction::<RemoveTeamMember>::new();
    toast_outcome(set, "Member saved", Some(changed));
    toast_outcome(remove, "Member removed", Some(changed));
    let name = team.summary.name.clone();
    let manage = team.can_manage;
    let new_user = RwSignal::new(String::new());
    let new_role = RwSignal::new("viewer".to_string());
    let add_team = name.clone();
    let on_add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let role = new_role.get_untracked().parse::<Role>().unwrap_or(Role::Viewer);
        set.dispatch(SetTeamMember {
            team: add_team.clone(),
            user: new_user.get_untracked(),
            role,
        });
    };
    view! {
        <section>
            <h2 class=style::H2>"Members"</h2>
            <div class=format!("relative overflow-x-auto {}", style::CARD)>
                <table class=style::TABLE data-testid="members">
                    <thead class=style::THEAD><tr>
                        <th scope="col" class=style::TH>"User"</th>
                        <th scope="col" class=style::TH>"Role"</th>
                        {manage.then(|| view! { <th scope="col" class=style::TH><span class="sr-only">"Actions"</span></th> })}
                    </tr></thead>
                    <tbody>
                        {team.members.iter().map(|m| {
                            let (user, role) = (m.user.clone(), m.role);
                            let (team_a, user_a, team_b, user_b) = (name.clone(), user.clone(), name.clone(), user.clone());
                            view! {
                                <tr class=style::TR data-testid="member-row" data-user=user.clone()>
                                    <td class=style::TD>{user.clone()}</td>
                                    <td class=style::TD>
                                        {if manage {
                                            view! {
                                                <label class="sr-only" for=format!("role-{user}")>{format!("Role of {user}")}</label>
                                                <select id=format!("role-{user}") class="rounded border border-slate-300 bg-white px-2 py-1 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                                                    on:change=move |ev| {
                                                        if let Ok(role) = event_target_value(&ev).parse::<Role>() {
                                                            set.dispatch(SetTeamMember { team: team_a.clone(), user: user_a.clone(), role });
                                                        }
                                                    }>
                                                    {Role::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == role>{r.as_str()}</option> }).collect_view()}
                                                </select>
                                            }.into_any()
                                        } else {
                                            view! { <RoleBadge role=Some(role)/> }.into_any()
                                        }}
                                    </td>
                                    {manage.then(|| view! {
                                        <td class=format!("{} text-right", style::TD)>
                                            <button type="button" class=style::BUTTON_SECONDARY
                                                on:click=move |_| { remove.dispatch(RemoveTeamMember { team: team_b.clone(), user: user_b.clone() }); }>"Remove"</button>
                                        </td>
                                    })}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {manage.then(|| view! {
                <form class="mt-3 flex flex-wrap items-end gap-3" on:submit=on_add data-testid="add-member">
                    <div>
                        <label for="member-user" class=style::LABEL>"User"</label>
                        <input id="member-user" type="text" required class=style::INPUT bind:value=new_user/>
                    </div>
                    <div>
                        <label for="member-role" class=style::LABEL>"Role"</label>
                        <select id="member-role" class=style::INPUT on:change=move |ev| new_role.set(event_target_value(&ev))>
                            {Role::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == Role::Viewer>{r.as_str()}</option> }).collect_view()}
                        </select>
                    </div>
                    <button type="submit" class=style::BUTTON>"Add member"</button>
                </form>
            })}
        </section>
    }
}

#[component]
fn NewNamespace(team: String, changed: RwSignal<u64>) -> impl IntoView {
    let create = ServerAction::<CreateNamespace>::new();
    toast_outcome(create, "Namespace created", Some(changed));
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(create, form);
    view! {
        <ActionForm action=create node_ref=form attr:class=format!("mt-3 grid grid-cols-1 gap-3 p-4 sm:grid-cols-2 {}", style::CARD) attr:data-testid="new-namespace">
            <input type="hidden" name="team" value=team/>
            <div>
                <label for="ns-name" class=style::LABEL>"New namespace"</label>
                <input id="ns-name" name="name" type="text" required maxlength="64" class=style::INPUT/>
            </div>
            <div>
                <label for="ns-vis" class=style::LABEL>"Visibility"</label>
                <select id="ns-vis" name="visibility" class=style::INPUT>
                    {Visibility::ALL.iter().map(|v| view! { <option value=v.as_str() selected=*v == Visibility::Private>{v.as_str()}</option> }).collect_view()}
                </select>
            </div>
            <div class="sm:col-span-2">
                <label for="ns-desc" class=style::LABEL>"Description"</label>
                <input id="ns-desc" name="description" type="text" class=style::INPUT/>
            </div>
            <div><button type="submit" class=style::BUTTON disabled=create.pending()>"Create namespace"</button></div>
        </ActionForm>
    }
}

#[component]
fn TeamSettings(team: TeamDetail, changed: RwSignal<u64>) -> impl IntoView {
    let update = ServerAction::<UpdateTeam>::new();
    let delete = ServerAction::<DeleteTeam>::new();
    let navigate = use_navigate();
    let name = team.summary.name.clone();
    let new_name = RwSignal::new(name.clone());
    let description = RwSignal::new(team.summary.description.clone());
    let transfer_to = RwSignal::new(String::new());
    let confirm = RwSignal::new(false);
    let nav = navigate.clone();
    Effect::new(move |_| match update.value().get() {
        Some(Ok(renamed)) => {
            toast_ok("Team saved");
            nav(&format!("/teams/{renamed}"), Default::default());
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(moved)) => {
            toast_ok(format!("Team deleted; {moved} namespaces transferred"));
            navigate("/teams", Default::default());
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    let update_name = name.clone();
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateTeam {
            name: update_name.clone(),
            new_name: Some(new_name.get_untracked()),
            description: Some(description.get_untracked()),
        });
    };
    let owns = team.summary.namespaces;
    view! {
        <section class=format!("mt-6 p-4 {}", style::CARD)>
            <h2 class=style::H2>"Team settings"</h2>
            <form class="grid grid-cols-1 gap-3 sm:grid-cols-3 sm:items-end" on:submit=on_save>
                <div>
                    <label for="team-rename" class=style::LABEL>"Name"</label>
                    <input id="team-rename" type="text" required class=style::INPUT bind:value=new_name/>
                </div>
                <div>
                    <label for="team-describe" class=style::LABEL>"Description"</label>
                    <input id="team-describe" type="text" class=style::INPUT bind:value=description/>
                </div>
                <div><button type="submit" class=style::BUTTON>"Save"</button></div>
            </form>
            <div class="mt-6 border-t border-slate-100 pt-4">
                <button type="button" class=style::BUTTON_DANGER on:click=move |_| confirm.set(true)>"Delete team"</button>
            </div>
            <Modal open=confirm title="Delete this team?">
                <p class="mb-3 text-sm text-slate-700">
                    {if owns > 0 { format!("The team owns {owns} namespaces: name a team that takes them over.") } else { "The team owns no namespaces.".to_string() }}
                </p>
                {(owns > 0).then(|| view! {
                    <label for="transfer-to" class=style::LABEL>"Transfer namespaces to team"</label>
                    <input id="transfer-to" type="text" class=style::INPUT bind:value=transfer_to/>
                })}
                <div class="mt-4 flex justify-end gap-2">
                    <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| confirm.set(false)>"Cancel"</button>
                    <button type="button" class=style::BUTTON_DANGER on:click={
                        let name = name.clone();
                        move |_| {
                            confirm.set(false);
                            let to = transfer_to.get_untracked();
                            delete.dispatch(DeleteTeam { name: name.clone(), transfer_to: (!to.is_empty()).then_some(to) });
                        }
                    }>"Delete team"</button>
                </div>
            </Modal>
        </section>
    }
}

/// The TeamsPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct TeamsRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for TeamsRoute {
    fn data() -> Self {
        TeamsRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <TeamsPage/> }.into_any()
    }
}

/// The TeamPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct TeamRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for TeamRoute {
    fn data() -> Self {
        TeamRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <TeamPage/> }.into_any()
    }
}
