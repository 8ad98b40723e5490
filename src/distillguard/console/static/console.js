// The console works without this file; it only asks before destructive actions and draws
// the members' risk bars. Loaded from /console/static (the CSP allows no inline script).
"use strict";
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("DOMContentLoaded", () => {
  for (const bar of document.querySelectorAll(".bar[data-risk]")) {
    bar.style.width = `${Math.round(Number(bar.dataset.risk) * 8)}em`;
  }
});
