// Who must sign, as the date changes: the pupil from their 16th birthday, a parent or
// guardian before it (R13). The server applies the same rule; this only guides the person
// copying the form. No inline script (CSP): loaded with `defer`.
(function () {
  "use strict";
  for (const form of document.querySelectorAll("form[data-signer-form]")) {
    const hint = document.getElementById("signer-hint");
    const day = form.querySelector("input[type=date]");
    if (!hint || !day) continue;
    const sixteen = hint.dataset.sixteenOn;
    const update = function () {
      if (!day.value) return;
      const signer = day.value >= sixteen ? "pupil" : "guardian";
      hint.querySelector(".hint-pupil").hidden = signer !== "pupil";
      hint.querySelector(".hint-guardian").hidden = signer !== "guardian";
      const radio = form.querySelector('input[type=radio][value="' + signer + '"]');
      if (radio) radio.checked = true;
    };
    day.addEventListener("change", update);
    day.addEventListener("input", update);
  }
})();
