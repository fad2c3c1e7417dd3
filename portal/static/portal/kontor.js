// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.requestSubmit();
  }
});

// After a refused submit the form's error summary (portal/includes/form_errors.html) takes the focus, so it is in
// view and read out first; the same when htmx swaps in a form with errors.
function focusErrorSummary(root) {
  const summary = root.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
}
document.addEventListener("DOMContentLoaded", () => focusErrorSummary(document));
document.addEventListener("htmx:afterSwap", (event) => focusErrorSummary(event.target));
// A link of the summary moves the focus into its field (following the fragment alone only scrolls in some browsers).
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("[data-error-summary] a[href^='#']") : null;
  const field = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
  if (field) {
    event.preventDefault();
    field.scrollIntoView({ block: "center" });
    field.focus();
  }
});
