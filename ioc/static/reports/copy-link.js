/* "Copy the link" buttons: <button data-copy="ID" data-copied="…" data-selected="…">. A click
 * copies the text of element ID and says so; where the clipboard is refused (no permission, an
 * older browser) the text is selected instead, for the resident to copy. Never throws. Bound on
 * the document, so buttons added later (a confirmation shown in place) work too. */
(function () {
  "use strict";

  function select(target) {
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { return document.execCommand("copy"); } catch (error) { return false; }
  }

  function say(button, text) {
    if (!button.dataset.label) { button.dataset.label = button.textContent; }
    button.textContent = text;
    setTimeout(function () { button.textContent = button.dataset.label; }, 4000);
  }

  function copy(button) {
    var target = document.getElementById(button.dataset.copy);
    if (!target) { return; }
    var text = target.textContent.trim();
    var fallback = function () { say(button, select(target) ? button.dataset.copied : button.dataset.selected); };
    if (!navigator.clipboard || !navigator.clipboard.writeText) { fallback(); return; }
    try {
      navigator.clipboard.writeText(text).then(function () { say(button, button.dataset.copied); }, fallback);
    } catch (error) { fallback(); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (button) { copy(button); }
  });
})();
