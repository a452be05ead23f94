//! Page requests from query strings and server function arguments, checked at the boundary.
//!
//! Out-of-range values are refused (400) rather than clamped: a huge `page` would otherwise
//! overflow the offset (`(page - 1) * per_page`), wrap to a small number and serve the wrong
//! rows, or reach the database as an OFFSET it rejects.

use super::AppError;

/// Largest page any list serves.
pub const MAX_PER_PAGE: u64 = 100;

/// Highest page number any list serves. With at most [`MAX_PER_PAGE`] rows a page the offset
/// stays below 10^8: no overflow, and inside SQL's signed 64-bit OFFSET, `u32` and `usize`
/// on every target (the browser build is 32-bit).
pub const MAX_PAGE: u64 = 1_000_000;

/// A 1-based page and its size (`default_per_page` when absent), or 400 when either is outside
/// `1..=MAX_PAGE` / `1..=MAX_PER_PAGE`.
pub fn page_request(page: Option<u64>, per_page: Option<u64>, default_per_page: u64) -> Result<(u64, u64), AppError> {
    let page = page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(AppError::BadRequest(format!("page must be between 1 and {MAX_PAGE}")));
    }
    let per_page = per_page.unwrap_or(default_per_page);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(AppError::BadRequest(format!(
            "per_page must be between 1 and {MAX_PER_PAGE}"
        )));
    }
    Ok((page, per_page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds_are_served() {
        assert_eq!(page_request(None, None, 25).unwrap(), (1, 25));
        assert_eq!(
            page_request(Some(MAX_PAGE), Some(MAX_PER_PAGE), 25).unwrap(),
            (MAX_PAGE, MAX_PER_PAGE)
        );
        // The largest offset fits everywhere it goes.
        let offset = (MAX_PAGE - 1) * MAX_PER_PAGE;
        assert!(u32::try_from(offset).is_ok() && i64::try_from(offset).is_ok());
    }

    #[test]
    fn out_of_range_is_a_bad_request() {
        for (page, per_page) in [
            (Some(0), None),
            (Some(MAX_PAGE + 1), None),
            // Used to wrap the offset to (2^64 - 1) * 25 mod 2^64.
            (Some(u64::MAX), None),
            (None, Some(0)),
            (None, Some(MAX_PER_PAGE + 1)),
            (None, Some(u64::MAX)),
        ] {
            let err = page_request(page, per_page, 25).unwrap_err();
            assert_eq!(err.status(), 400, "{page:?} {per_page:?}: {err}");
        }
    }
}
