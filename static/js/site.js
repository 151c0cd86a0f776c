// Progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Tell the site the time zone this browser's clock uses, so dates show in it
  // (exports/middleware.py). A year-long, site-wide cookie; it holds nothing else.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) +
        "; path=/; max-age=31536000; SameSite=Lax" +
        (location.protocol === "https:" ? "; Secure" : "");
    }
  } catch (error) {
    // No Intl: dates stay in the site's default time zone.
  }

  // The language picker applies the choice at once; its button is there without JavaScript.
  document.addEventListener("DOMContentLoaded", function () {
    var picker = document.getElementById("language-picker");
    if (picker) {
      picker.addEventListener("change", function () {
        picker.form.submit();
      });
    }
  });
})();
