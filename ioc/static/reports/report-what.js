/* The reporting page, step 3: what the problem is about, and the office for an office category. */
(function () {
  "use strict";
  var R = window.IOCReport;
  var $ = R.$;

  R.category = function () {
    var checked = R.form.querySelector("input[name=category]:checked");
    return checked ? checked : null;
  };

  // Shows the office field for a non-geographic category (an office, not a place).
  R.showOfficeField = function (radio) { $("office-field").hidden = radio.dataset.geographic !== "false"; };

  function option(value, text) {
    var item = document.createElement("option");
    item.value = value;
    item.textContent = text;
    return item;
  }

  // Nothing is chosen for the resident: a placeholder first, the earlier choice kept if offered.
  R.setOffices = function (offices) {
    var select = $("office");
    var chosen = select.value;
    select.textContent = "";
    select.appendChild(option("", R.T.chooseOffice));
    offices.forEach(function (office) { select.appendChild(option(office.code, office.name)); });
    select.value = offices.some(function (office) { return office.code === chosen; }) ? chosen : "";
  };

  R.form.addEventListener("change", function (event) {
    if (event.target.name !== "category") { return; }
    R.showOfficeField(event.target);
    R.refreshNearby();
  });
})();
