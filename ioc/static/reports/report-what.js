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

  R.setOffices = function (offices) {
    var select = $("office");
    select.textContent = "";
    offices.forEach(function (office) {
      var option = document.createElement("option");
      option.value = office.code;
      option.textContent = office.name;
      select.appendChild(option);
    });
  };

  R.form.addEventListener("change", function (event) {
    if (event.target.name !== "category") { return; }
    R.showOfficeField(event.target);
    R.refreshNearby();
  });
})();
