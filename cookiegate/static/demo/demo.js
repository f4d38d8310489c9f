/* The demo shop shows what the banner recorded: the receipt, then the history read back. */
(function () {
  "use strict";
  var me = document.currentScript;
  var base = me.dataset.gateway + "/cg/" + me.dataset.site;
  var out = document.getElementById("rt-output");

  window.addEventListener("cookiegate:saved", function (event) {
    var receipt = event.detail;
    fetch(base + "/consent/" + receipt.consent_id,
          {headers: {Authorization: "Bearer " + receipt.token}})
      .then(function (r) { return r.json(); })
      .then(function (history) {
        out.textContent = "Recorded. Your history:\n" + JSON.stringify(history, null, 2);
      })
      .catch(function (err) { out.textContent = "Request failed: " + err; });
  });
})();
