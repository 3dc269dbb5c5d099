// The portal's entry: every page registers itself by path, then the router draws the current one.
// CSS imported here (and by pages) is bundled into /assets/app.css.
import './styles.css';
import './pages/public/signIn';
import './pages/public/register';
import './pages/public/accounts';
import './pages/office/dashboard';
import './pages/office/request';
import './pages/office/case';
import './pages/office/profile';
import './pages/review/queues';
import './pages/review/case';
import './pages/support/stuck';
import './pages/support/workflow';
import './pages/admin/users';
import { start } from './router';

start();
