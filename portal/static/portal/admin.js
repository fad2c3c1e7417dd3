// The operator console (Django admin), where its stock widgets fail WCAG 2.1 A (axe, tests/browser/test_accessibility.py).

// The filter widgets (SelectFilter2.js) give a plain <span> an aria-label, which ARIA does not allow without a role
// (aria-prohibited-attr). The icon is an image with that label: say so.
function labelFilterIcons(root) {
  for (const icon of root.querySelectorAll("span.help-tooltip[aria-label]:not([role])")) {
    icon.setAttribute("role", "img");
  }
}

// Tabular inlines show their fields under column headers but without labels: name each field after its column.
function labelTabularFields(root) {
  for (const table of root.querySelectorAll(".tabular table")) {
    const headers = Array.from(table.querySelectorAll("thead th"), (th) => th.textContent.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      Array.from(row.children).forEach((cell, index) => {
        const name = headers[index];
        if (!name) {
          return;
        }
        for (const field of cell.querySelectorAll("input:not([type=hidden]), select, textarea")) {
          if (field.labels.length === 0 && !field.hasAttribute("aria-label")) {
            field.setAttribute("aria-label", name);
          }
        }
      });
    }
  }
}

function labelConsole() {
  labelFilterIcons(document);
  labelTabularFields(document);
}

window.addEventListener("load", labelConsole);
document.addEventListener("formset:added", labelConsole);
