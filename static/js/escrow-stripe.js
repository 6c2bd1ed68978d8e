/* Escrow: the Stripe Payment Element (production gateway only). Confirms in the
   browser, including the card's authentication step; Stripe then returns to our
   return URL, where the server records the payment. */
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.stripeKey);
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  var errorBox = form.querySelector(".js-payment-error");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
      .then(function (result) {
        if (result.error) {
          errorBox.textContent = result.error.message;
          errorBox.hidden = false;
          button.disabled = false;
        }
      });
  });
})();
