// The agency's action forms: one submission per click on a slow link (a second tap would
// only meet a 409), and the button says that the form is being sent.
"use strict";
document.querySelectorAll("form.action-form").forEach((form) => {
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    if (button) {
      window.setTimeout(() => { button.disabled = true; }, 0);
    }
  });
});
// Back from the next page (the browser's cache keeps the page as it was): usable again.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form.action-form button").forEach((button) => { button.disabled = false; });
});
