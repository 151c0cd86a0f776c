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

  // Copy buttons: an element with data-copy (the id of the element whose text is copied) holds
  // a button and a role=status element; it is hidden in the HTML, since without JavaScript the
  // button could do nothing. Where the clipboard cannot be written (an http page that is not
  // this machine, a browser that refuses), the text is selected for the person to copy.
  function selectContents(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function announce(status, message) {
    // Emptied first, so that a second click announces the same words again.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = message;
    }, 100);
  }

  function enableCopy(holder) {
    var source = document.getElementById(holder.dataset.copy);
    var button = holder.querySelector("button");
    var status = holder.querySelector("[role=status]");
    if (!source || !button || !status) {
      return;
    }
    button.addEventListener("click", function () {
      var failed = function () {
        selectContents(source);
        announce(status, holder.dataset.copyFailed);
      };
      if (!navigator.clipboard || !window.isSecureContext) {
        failed();
        return;
      }
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        announce(status, holder.dataset.copied);
      }, failed);
    });
    holder.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), enableCopy);
  });
})();
