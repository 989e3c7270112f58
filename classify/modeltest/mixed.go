package modeltest

// MixedTexts are lines of ../shared/bench/gencorpus's mixed corpus (seed 11), half of
// them with non-ASCII characters (a fifth of the corpus's lines have some).
var MixedTexts = []string{
	"Dear support, Can you change the shipping address on order 6236709 to Málaga? I moved last week. I need an invoice for",
	"Good morning, The password reset email never arrives at maria.smith6@company.co.uk, I checked spam too. Hi, this is Ahmed Silva from Tokyo (東京). We've had",
	"São Paulo 📦 (Reuters) - To ensure a seamless transition, … Network",
	"UPDATE déjà vu 1-Subject: Bush blew take “two” yeshterday we f*cked up",
	"Please cancel my subscription and refund the last payment of £415.60. I received the wrong item: I ordered the API gateway but got something",
	"Coupon code SAVE11 is not accepted at checkout, it says 'expired' but your email says it's valid until 12/23/2024. Please",
	"Please cancel my subscription and refund the last payment of USD 227.62.\nSubject: Re: [Razor-users] Using Razor with",
	"My order #643471 still hasn't arrived and it's been 20 days. These bank accounts, real estate, stocks and a reduced risk of any CD-ROM or DVD-ROM drive having problems in it, and its",
	"BREAKING: Except for Marc. A load avg > 100 is always desirable. I WAS FURNISHED WITH VIABLE",
	"Is there any way to export my data from the API gateway? I'm switching devices. We do not wish to. The password reset email never arrives at sarah.garcia47@outlook.com, I checked",
}
