//! The console's small component set: badges, tables with pagination, modal, toasts, copy
//! button, empty/loading/error states, and the page frame (header, navigation, search).

mod copy;
mod feedback;
mod frame;
mod modal;
mod pager;
mod toast;

pub use copy::CopyButton;
pub use feedback::{
    AdminOnly, Badge, Empty, ErrorBox, KindBadge, Loading, NotFound, PageError, RoleBadge, VisibilityBadge,
};
pub use frame::Header;
pub use modal::Modal;
pub use pager::{encode, Pager, QueryNav, SortSelect};
pub use toast::{provide_toasts, reset_on_success, toast_error, toast_ok, toast_outcome, Toasts};

/// Tailwind classes shared by form controls and buttons, so every page looks the same.
pub mod style {
    pub const INPUT: &str = "mt-1 w-full rounded border border-slate-300 px-3 py-2 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500";
    pub const LABEL: &str = "block text-sm font-medium text-slate-700";
    pub const BUTTON: &str = "inline-flex items-center rounded bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-600 disabled:opacity-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 focus-visible:ring-offset-2";
    pub const BUTTON_SECONDARY: &str = "inline-flex items-center rounded border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400";
    pub const BUTTON_DANGER: &str = "inline-flex items-center rounded bg-rose-700 px-3 py-2 text-sm font-medium text-white hover:bg-rose-600 disabled:opacity-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-rose-400 focus-visible:ring-offset-2";
    pub const LINK: &str =
        "text-sky-700 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 rounded";
    pub const CARD: &str = "rounded-lg bg-white shadow-sm ring-1 ring-slate-200";
    pub const TABLE: &str = "w-full text-left text-sm";
    pub const THEAD: &str = "bg-slate-100 text-slate-600";
    pub const TH: &str = "px-4 py-2 font-medium";
    pub const TD: &str = "px-4 py-2";
    pub const TR: &str = "border-t border-slate-100 hover:bg-slate-50";
    pub const H1: &str = "text-2xl font-semibold tracking-tight";
    pub const H2: &str = "text-lg font-semibold mb-3";
}
