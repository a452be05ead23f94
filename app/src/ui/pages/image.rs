//! One image (`/i/REPO:TAG` or `/i/REPO@sha256:…`): what it is, how to pull it, its platforms
//! (for an index), layers with the build step that made each, how it runs, its labels and
//! annotations, and the signatures, attestations and SBOMs attached to it.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::browse::get_image;
use crate::domain::image::{ImageDetail, ImageRef};
use crate::ui::components::{style, CopyButton, Loading, PageError};
use crate::ui::{human_size, repo_href, short_digest, short_time, use_viewer};

/// The console URL of an image by digest.
pub fn image_href(repository: &str, digest: &str) -> String {
    format!("/i/{repository}@{digest}")
}

#[component]
pub fn ImagePage() -> impl IntoView {
    let params = use_params_map();
    let reference = move || params.with(|p| p.get("reference")).unwrap_or_default();
    let detail = Resource::new(reference, get_image);
    let viewer = use_viewer();
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let r = ImageRef::parse(&reference());
                let d = match detail.await {
                    Ok(d) => d,
                    Err(e) => return view! { <PageError error=e/> }.into_any(),
                };
                let host = viewer.await.map(|v| v.settings.registry_host).unwrap_or_default();
                view! { <Image r d host/> }.into_any()
            })}
        </Suspense>
    }
}

/// Keys of annotations and labels whose values are links worth following.
const LINK_KEYS: &[&str] = &[
    "org.opencontainers.image.source",
    "org.opencontainers.image.url",
    "org.opencontainers.image.documentation",
];

#[component]
fn Image(r: ImageRef, d: ImageDetail, host: String) -> impl IntoView {
    let repository = r.repository().to_owned();
    let crumb = repository.clone();
    let title = match &r {
        ImageRef::Tag { repository, tag } => format!("{repository}:{tag}"),
        ImageRef::Digest { repository, digest } => format!("{repository}@{}", short_digest(digest)),
    };
    let by_tag = match &r {
        ImageRef::Tag { tag, .. } => Some(format!("docker pull {host}/{repository}:{tag}")),
        ImageRef::Digest { .. } => None,
    };
    let by_digest = format!("docker pull {host}/{repository}@{}", d.digest);
    let platform = d.platform.as_ref().map(ToString::to_string);
    let kind = if !d.platforms.is_empty() {
        "Multi-platform index"
    } else if d.artifact_type.is_some() {
        "Artifact"
    } else {
        "Image"
    };
    view! {
        <leptos_meta::Title text=format!("{title} · wharf")/>
        <div class="mb-6">
            <p class="text-sm text-slate-500">
                <A href=repo_href(&repository) attr:class=style::LINK>{crumb}</A>" / "
            </p>
            <h1 class=format!("{} break-all font-mono", style::H1) data-testid="image-name">{title.clone()}</h1>
            <p class="mt-1 text-sm text-slate-600" data-testid="image-facts">
                {format!("{kind} · {}", human_size(d.size))}
                {platform.map(|p| format!(" · {p}"))}
                {d.created.as_deref().map(|c| format!(" · created {}", short_time(c)))}
                {(!d.accessories.is_empty()).then(|| {
                    let kinds: Vec<_> = d.accessories.iter().map(|a| a.kind).collect();
                    accessory_badges(&kinds)
                })}
            </p>
            <p class="mt-1 break-all font-mono text-xs text-slate-500" title="digest">{d.digest.clone()}" · "{d.media_type.clone()}</p>
            <div class="mt-3 flex flex-col gap-2">
                {by_tag.map(|pull| view! {
                    <div class="flex flex-wrap items-center gap-2">
                        <code class="break-all rounded bg-slate-900 px-3 py-1.5 font-mono text-sm text-slate-100" data-testid="pull-by-tag">{pull.clone()}</code>
                        <CopyButton text=pull/>
                    </div>
                })}
                <div class="flex flex-wrap items-center gap-2">
                    <code class="break-all rounded bg-slate-900 px-3 py-1.5 font-mono text-sm text-slate-100" data-testid="pull-by-digest">{by_digest.clone()}</code>
                    <CopyButton text=by_digest/>
                </div>
            </div>
        </div>
        {d.subject.clone().map(|s| {
            let label = short_digest(&s);
            view! {
                <p class="mb-4 text-sm">"Attached to "
                    <A href=image_href(&repository, &s) attr:class=format!("{} font-mono", style::LINK)>{label}</A>
                </p>
            }
        })}
        {d.raw.clone().map(|raw| view! {
            <section class="mb-6">
                <h2 class=style::H2>"Manifest"</h2>
                <p class="mb-2 text-sm text-slate-600">"wharf cannot read this manifest; here it is as the registry serves it."</p>
                <pre class="relative overflow-x-auto rounded bg-slate-100 p-3 text-xs" data-testid="raw-manifest">{raw}</pre>
            </section>
        })}
        <Platforms d=d.clone() repository=repository.clone()/>
        <Layers d=d.clone()/>
        <RunConfig d=d.clone()/>
        <Accessories d=d.clone() repository=repository.clone()/>
    }
}

/// "signed", "SBOM", "attested": what is attached to an image, at a glance.
pub fn accessory_badges(kinds: &[crate::domain::image::AccessoryKind]) -> impl IntoView {
    use crate::domain::image::AccessoryKind;
    let has = |k: AccessoryKind| kinds.contains(&k);
    let badge = |text: &'static str| {
        view! { <span class="ml-2 rounded bg-emerald-100 px-1.5 py-0.5 text-xs font-medium text-emerald-800" data-testid="badge">{text}</span> }
    };
    view! {
        {has(AccessoryKind::Signature).then(|| badge("signed"))}
        {has(AccessoryKind::Sbom).then(|| badge("SBOM"))}
        {has(AccessoryKind::Attestation).then(|| badge("attested"))}
    }
}

#[component]
fn Platforms(d: ImageDetail, repository: String) -> impl IntoView {
    (!d.platforms.is_empty()).then(|| view! {
        <section class="mb-6">
            <h2 class=style::H2>"Platforms"</h2>
            <div class=format!("relative overflow-x-auto {}", style::CARD)>
                <table class=style::TABLE data-testid="platforms">
                    <thead class=style::THEAD>
                        <tr>
                            <th scope="col" class=style::TH>"Platform"</th>
                            <th scope="col" class=style::TH>"Digest"</th>
                            <th scope="col" class=format!("{} text-right", style::TH)>"Size"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {d.platforms.iter().map(|p| {
                            let name = match &p.variant {
                                Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                                None => format!("{}/{}", p.os, p.architecture),
                            };
                            view! {
                                <tr class=style::TR data-testid="platform-row">
                                    <td class=style::TD>
                                        <A href=image_href(&repository, &p.digest) attr:class=style::LINK>{name}</A>
                                    </td>
                                    <td class=format!("{} font-mono text-xs", style::TD) title=p.digest.clone()>{short_digest(&p.digest)}</td>
                                    <td class=format!("{} text-right tabular-nums", style::TD)>{human_size(p.size)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    })
}

#[component]
fn Layers(d: ImageDetail) -> impl IntoView {
    (!d.layers.is_empty()).then(|| view! {
        <section class="mb-6">
            <h2 class=style::H2>"Layers and history"</h2>
            <div class=format!("relative overflow-x-auto {}", style::CARD)>
                <table class=style::TABLE data-testid="layers">
                    <thead class=style::THEAD>
                        <tr>
                            <th scope="col" class=style::TH>"#"</th>
                            <th scope="col" class=style::TH>"Created by"</th>
                            <th scope="col" class=style::TH>"Digest"</th>
                            <th scope="col" class=format!("{} text-right", style::TH)>"Size"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {d.layers.iter().enumerate().map(|(i, l)| view! {
                            <tr class=style::TR data-testid="layer-row" data-empty=l.empty_layer.to_string()>
                                <td class=format!("{} tabular-nums text-slate-500", style::TD)>{i + 1}</td>
                                <td class=format!("{} max-w-xl break-all font-mono text-xs", style::TD)>{l.created_by.clone().unwrap_or_default()}</td>
                                <td class=format!("{} font-mono text-xs", style::TD) title=l.digest.clone()>
                                    {if l.empty_layer { "—".to_owned() } else { short_digest(&l.digest) }}
                                </td>
                                <td class=format!("{} text-right tabular-nums", style::TD)>
                                    {if l.empty_layer { String::new() } else { human_size(l.size) }}
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    })
}

/// A value shown as a link when it is one of the link keys and an http(s) URL.
fn value_view(key: &str, value: &str) -> AnyView {
    let is_url = value.starts_with("https://") || value.starts_with("http://");
    if is_url && LINK_KEYS.contains(&key) {
        view! { <a href=value.to_owned() rel="noopener noreferrer" class=style::LINK>{value.to_owned()}</a> }.into_any()
    } else {
        view! { <span>{value.to_owned()}</span> }.into_any()
    }
}

/// Labels or annotations: each key beside its value.
#[component]
fn KeyValues(pairs: std::collections::BTreeMap<String, String>, testid: &'static str) -> impl IntoView {
    view! {
        <dl class=format!("{} px-4 py-2", style::CARD) data-testid=testid>
            {pairs.iter().map(|(k, v)| view! {
                <div class="grid grid-cols-1 gap-1 py-1 sm:grid-cols-2">
                    <dt class="break-all font-mono text-xs text-slate-600">{k.clone()}</dt>
                    <dd class="break-all font-mono text-xs">{value_view(k, v)}</dd>
                </div>
            }).collect_view()}
        </dl>
    }
}

#[component]
fn RunConfig(d: ImageDetail) -> impl IntoView {
    let config = d.config.clone();
    let annotations = d.annotations.clone();
    let row = |name: &'static str, value: String| {
        (!value.is_empty()).then(|| {
            view! {
                <div class="grid grid-cols-1 gap-1 py-1 sm:grid-cols-4">
                    <dt class="text-sm font-medium text-slate-600">{name}</dt>
                    <dd class="break-all font-mono text-sm sm:col-span-3">{value}</dd>
                </div>
            }
        })
    };
    view! {
        {config.map(|c| {
            // An empty card says nothing: only what the image sets.
            let sets_any = !(c.entrypoint.is_empty() && c.cmd.is_empty() && c.env.is_empty() && c.exposed_ports.is_empty()
                && c.user.as_deref().unwrap_or("").is_empty() && c.working_dir.as_deref().unwrap_or("").is_empty());
            view! {
            <section class="mb-6">
                <h2 class=style::H2>"Configuration"</h2>
                {sets_any.then(|| view! {
                <dl class=format!("{} px-4 py-2", style::CARD) data-testid="config">
                    {row("Entrypoint", c.entrypoint.join(" "))}
                    {row("Command", c.cmd.join(" "))}
                    {row("Environment", c.env.join("\n"))}
                    {row("Exposed ports", c.exposed_ports.join(", "))}
                    {row("User", c.user.clone().unwrap_or_default())}
                    {row("Working directory", c.working_dir.clone().unwrap_or_default())}
                </dl>
                })}
                {(!c.labels.is_empty()).then(|| view! {
                    <h3 class="mb-2 mt-4 font-medium">"Labels"</h3>
                    <KeyValues pairs=c.labels.clone() testid="labels"/>
                })}
            </section>
            }
        })}
        {(!annotations.is_empty()).then(|| view! {
            <section class="mb-6">
                <h2 class=style::H2>"Annotations"</h2>
                <KeyValues pairs=annotations.clone() testid="annotations"/>
            </section>
        })}
    }
}

#[component]
fn Accessories(d: ImageDetail, repository: String) -> impl IntoView {
    (!d.accessories.is_empty()).then(|| view! {
        <section class="mb-6">
            <h2 class=style::H2>"Signatures, attestations and SBOMs"</h2>
            <div class=format!("relative overflow-x-auto {}", style::CARD)>
                <table class=style::TABLE data-testid="accessories">
                    <thead class=style::THEAD>
                        <tr>
                            <th scope="col" class=style::TH>"Kind"</th>
                            <th scope="col" class=style::TH>"Digest"</th>
                            <th scope="col" class=style::TH>"Type"</th>
                            <th scope="col" class=style::TH>"Tag"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {d.accessories.clone().into_iter().map(|a| {
                            let label = short_digest(&a.digest);
                            let kind = a.kind.as_str();
                            view! {
                                <tr class=style::TR data-testid="accessory-row" data-kind=kind>
                                    <td class=style::TD>{kind}</td>
                                    <td class=format!("{} font-mono text-xs", style::TD)>
                                        <A href=image_href(&repository, &a.digest) attr:class=style::LINK>{label}</A>
                                    </td>
                                    <td class=format!("{} break-all font-mono text-xs", style::TD)>{a.artifact_type.clone().unwrap_or_else(|| a.media_type.clone())}</td>
                                    <td class=format!("{} break-all font-mono text-xs", style::TD)>{a.tag.clone().unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    })
}

/// The image page is loaded with its own code (`cargo leptos build --split`): the repository
/// page, in the main module, only links to it.
pub struct ImageRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for ImageRoute {
    fn data() -> Self {
        ImageRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <ImagePage/> }.into_any()
    }
}
