// A model on its own, filling the window: /3d/{model-id}. It is what a shop
// embeds in an iframe, and how the viewer is tested at any size.
import { h } from '../dom.js';
import { Viewer } from '../viewer/viewer.js';

export function modelPage(main, [modelId], { app, query }) {
	app.title(`3D: ${modelId}`);
	document.body.classList.add('bare');
	const host = h('div', { class: 'model-viewer', id: 'viewer' });
	main.append(h('h1', { class: 'visually-hidden', text: `3D model ${modelId}` }), host);
	const viewer = new Viewer(host, { modelId, title: query.get('title') || modelId });
	return () => {
		document.body.classList.remove('bare');
		viewer.destroy();
	};
}
