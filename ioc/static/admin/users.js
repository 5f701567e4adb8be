// Account form: the agency field applies to agency staff only. For other roles it is hidden and
// disabled (a disabled field is not sent); the server checks the pair either way.
for (const role of document.querySelectorAll("select[data-agency-field]")) {
  const field = document.getElementById(role.dataset.agencyField);
  const agency = field && field.querySelector("select");
  if (!agency) continue;
  const sync = () => {
    const staff = role.value === "agency_staff";
    field.hidden = !staff;
    agency.disabled = !staff;
    agency.required = staff;
  };
  role.addEventListener("change", sync);
  sync();
}
