/**
 * Passwords and base words that attackers try first. Each entry is lowercase; the registration
 * rules compare a candidate password against this list after lowercasing it, after stripping
 * leading/trailing digits and symbols ("Password1234!" -> "password") and after undoing common
 * letter swaps ("p@ssw0rd" -> "password"), so the list holds the base forms only.
 *
 * Kept deliberately short (a few hundred entries) so the module stays pure and cheap to load;
 * length, sequence and repetition rules catch much of what a longer list would.
 */
export const COMMON_PASSWORDS: readonly string[] = [
  // The classics
  'password', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'pass', 'passwd', 'passphrase', 'password1', 'mypassword',
  'secret', 'changeme', 'changeit', 'default', 'letmein', 'welcome', 'welcome1', 'hello', 'helloworld',
  'login', 'logon', 'signin', 'admin', 'administrator', 'root', 'toor', 'user', 'guest', 'test', 'tester',
  'testing', 'temp', 'temporary', 'master', 'access', 'trustno1', 'whatever', 'nothing', 'qwerty', 'iloveyou',
  'loveyou', 'love', 'lovely', 'loveme', 'forever', 'freedom', 'letmein1', 'opensesame', 'private', 'security',
  'secure', 'newpassword', 'oldpassword', 'nopassword',

  // Keyboard and digit patterns
  '123456', '1234567', '12345678', '123456789', '1234567890', '0123456789', '987654321', '654321',
  '111111', '000000', '121212', '112233', '123123', '123321', '666666', '696969', '777777', '888888',
  '999999', '159753', '147258369', '789456123', '123qwe', 'qwe123', 'abc123', 'abcd1234', 'abcdef',
  'abcdefg', 'abcdefgh', 'abc', 'qwert', 'qwerty123', 'qwertyuiop', 'qwertyui', 'asdf', 'asdfgh',
  'asdfghjkl', 'zxcvbn', 'zxcvbnm', 'qazwsx', '1qaz2wsx', 'zaq12wsx', 'zaq1zaq1', '1q2w3e', '1q2w3e4r',
  '1q2w3e4r5t', 'q1w2e3r4', 'qweasd', 'qweasdzxc', 'asdasd', 'azerty', 'qwertz', 'aaaaaa', 'a1b2c3',

  // Names, pets and favourites
  'monkey', 'dragon', 'shadow', 'superman', 'batman', 'spiderman', 'ironman', 'starwars', 'pokemon',
  'michael', 'jordan', 'jennifer', 'jessica', 'ashley', 'charlie', 'daniel', 'andrew', 'joshua', 'thomas',
  'robert', 'matthew', 'william', 'hunter', 'harley', 'ranger', 'buster', 'tigger', 'ginger', 'pepper',
  'maggie', 'bailey', 'buddy', 'cookie', 'chocolate', 'cheese', 'pizza', 'coffee', 'banana', 'orange',
  'princess', 'angel', 'angels', 'baby', 'babygirl', 'sweetie', 'sunshine', 'rainbow', 'flower', 'butterfly',
  'summer', 'winter', 'spring', 'autumn', 'january', 'february', 'march', 'april', 'june', 'july', 'august',
  'september', 'october', 'november', 'december', 'monday', 'friday', 'weekend', 'holiday',
  'football', 'baseball', 'basketball', 'soccer', 'hockey', 'golf', 'tennis', 'yankees', 'redsox',
  'patriots', 'cowboys', 'lakers', 'eagles', 'steelers', 'chelsea', 'liverpool', 'arsenal',
  'mustang', 'corvette', 'ferrari', 'porsche', 'mercedes', 'jaguar', 'tiger', 'lion', 'eagle',
  'killer', 'ninja', 'pirate', 'matrix', 'computer', 'internet', 'google', 'facebook', 'microsoft', 'apple',
  'samsung', 'iphone', 'jesus', 'christ', 'heaven', 'god', 'blessed', 'faith', 'family', 'friends',
  'america', 'usa', 'boston', 'chicago', 'texas', 'london', 'music', 'guitar', 'money', 'cash',
  'silver', 'golden', 'diamond', 'purple', 'yellow', 'blue', 'black', 'red', 'green', 'snoopy', 'mickey',
  'minnie', 'hannah', 'thunder', 'hello123', 'fuckyou', 'asshole', 'biteme', 'sexy', 'hottie',

  // Work and healthcare words people reach for on a work account
  'company', 'office', 'business', 'work', 'mywork', 'health', 'healthcare', 'medical', 'medicine',
  'hospital', 'clinic', 'doctor', 'nurse', 'physician', 'patient', 'pharmacy', 'insurance', 'provider',
  'priorauth', 'authorization', 'utilization', 'review', 'health plan', 'healthplan', 'portal', 'register',
  'registration', 'account', 'myaccount', 'username',
];
